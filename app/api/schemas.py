"""Request models of the JSON API; their JSON Schemas also feed /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from app.bounds import (
    COMMENT_MAX_CHARS,
    CORRECTION_MAX_CHARS,
    DEFAULT_PAGE_SIZE,
    ID_MAX_CHARS,
    ID_PATTERN,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_TRANSCRIPT_PAGE,
    REVIEW_LABEL_MAX_CHARS,
    REVIEW_NOTE_MAX_CHARS,
)
from app.config.feedback import MAX_REASONS, REASON_MAX_CHARS

Identifier = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=ID_MAX_CHARS),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)


class FeedbackIn(_Body):
    # SAM's client sends camelCase; snake_case is accepted too. Unknown fields are ignored
    # so newer clients keep working.
    model_config = ConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True)

    task_id: Identifier = Field(alias="taskId")
    session_id: Identifier = Field(alias="sessionId")
    feedback_type: Literal["up", "down"] = Field(alias="feedbackType")
    feedback_text: str | None = Field(None, alias="feedbackText", max_length=COMMENT_MAX_CHARS)
    # Only an API key with feedback:write names the end user it submits for.
    user_id: str | None = Field(None, alias="userId", min_length=1, max_length=255)
    # Chosen from `feedback_reasons` for the rating; an unknown one is 422, naming it.
    reasons: list[Annotated[str, StringConstraints(max_length=REASON_MAX_CHARS)]] | None = Field(
        None, max_length=MAX_REASONS
    )


class FeedbackLinkIn(_Body):
    task_id: str = Field(min_length=1, max_length=255, description="A task id or trace id.")
    key: str = Field("thumbs", min_length=1, max_length=64)
    # Who answers: an end user (customer), or a model judging the reply. Fixed for the link.
    source: Literal["customer", "model"] = "customer"
    feedback_config: dict[str, Any] | None = None
    expires_in_seconds: int | None = Field(None, ge=1)


ReviewState = Literal["open", "reviewed", "dismissed"]
Label = Annotated[str, StringConstraints(max_length=REVIEW_LABEL_MAX_CHARS)]


class ReviewIn(_Body):
    """A reviewer's action on one feedback: what is left out stays as it is."""

    # The `review_version` the reviewer saw; stale, the answer is 409 with the current state.
    version: int = Field(ge=0, strict=True)
    status: ReviewState | None = None
    # Replaces the labels; each from `review.labels` (another is 422 `unknown_label`).
    labels: list[Label] | None = Field(None, max_length=64)
    # Markdown. "" clears the correction (or the note).
    correction: str | None = Field(None, max_length=CORRECTION_MAX_CHARS)
    note: str | None = Field(None, max_length=REVIEW_NOTE_MAX_CHARS)


class FeedbackQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start_date: str | None = None
    end_date: str | None = None
    task_id: str | None = None
    session_id: str | None = None
    rating: Literal["up", "down"] | None = None
    key: str | None = Field(None, max_length=64)
    source: Literal["customer", "platform", "model"] | None = None
    organisation: str | None = Field(None, max_length=255)
    prompt: str | None = Field(None, max_length=255)
    environment: str | None = Field(None, max_length=255)
    agent_id: str | None = Field(None, max_length=255)
    model: str | None = Field(None, max_length=255)
    prompt_version: str | None = Field(None, max_length=255)
    reason: str | None = Field(None, max_length=REASON_MAX_CHARS)
    review_status: ReviewState | None = None
    review_label: str | None = Field(None, max_length=REVIEW_LABEL_MAX_CHARS)
    page: int = Field(1, ge=1, le=MAX_PAGE)
    page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    query_user_id: str | None = None


class TranscriptQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Without `limit`, the whole transcript (what SAM's clients expect).
    limit: int | None = Field(None, ge=1, le=MAX_TRANSCRIPT_PAGE)
    before: str | None = Field(None, min_length=1, max_length=ID_MAX_CHARS)


class SessionIn(_Body):
    id: Identifier | None = None
    user_id: str | None = Field(None, min_length=1, max_length=255)
    title: str | None = Field(None, max_length=255)
    agent_id: str | None = Field(None, max_length=255)
    metadata: dict[str, Any] | None = None


class TaskIn(_Body):
    id: Identifier | None = None
    request_text: str = Field(min_length=1)
    status: Literal["running", "completed"] = "running"
    response_text: str = ""
    model: str | None = Field(None, max_length=255)
    prompt_version: str | None = Field(None, max_length=255)
    cost: float | None = Field(None, ge=0)
    # The platform's own reference (an OTel trace id, a Trodo run id) that feedback SDKs send.
    trace_id: str | None = Field(
        None,
        validation_alias=AliasChoices("trace_id", "run_id"),
        min_length=1,
        max_length=255,
    )
    metadata: dict[str, Any] | None = None


class TaskPatch(_Body):
    append_text: str | None = None
    response_text: str | None = None
    status: Literal["completed", "failed", "cancelled"] | None = None
    error: str | None = None

    @model_validator(mode="after")
    def _one_text_change(self) -> TaskPatch:
        if self.append_text is not None and self.response_text is not None:
            raise ValueError("send either append_text or response_text, not both")
        if all(value is None for value in self.model_dump().values()):
            raise ValueError("send at least one of append_text, response_text, status, error")
        return self


class TaskEventIn(_Body):
    direction: str = Field(min_length=1, max_length=64)
    topic: str | None = Field(None, max_length=255)
    payload: Any
