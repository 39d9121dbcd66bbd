"""A feedback in its two shapes: `NewFeedback`, what every door hands the service (typed, not
yet judged), and `FeedbackView`, the stored row as every surface reads it (fields are the
table's columns, one for one: `from_row` reads a row, `row` writes one, `to_json` is the API's
shape, which the listing, the exports and the console show too).

Adding a column: the model and migration, a field here (and in `NewFeedback` if a door sends
it), and the surfaces that show it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from app.clock import iso_ms
from app.config.feedback import FeedbackKeySettings
from app.errors import APIError, not_found

Rating = Literal["up", "down"]
Score = int | float | bool | str  # a JSON scalar as sent; the key judges it
UnknownTarget = Callable[[str], APIError]


def unknown_task(reference: str) -> APIError:
    return not_found(
        f"No task has the ID or trace ID '{reference}'. Push the task (with its trace_id) "
        "before sending feedback on it.",
        "task_not_found",
    )


@dataclass(frozen=True, kw_only=True)
class NewFeedback:
    """One feedback as a door read it off the wire. The service judges it (the key's rules,
    the comment and weight bounds, the target) once, and stores it as a FeedbackView."""

    via: str  # the door: widget, api, token, trodo, agentsight, portkey, voltagent
    source: str  # customer, platform or model: decided by the credential, never the body
    key: str
    task_ref: str | None = None  # a task id or trace id; else `session_ref` is the target
    session_ref: str | None = None
    proposed_key: FeedbackKeySettings | None = None  # registers `key` on its first use
    user_id: str | None = None  # the end user named by the caller; else the target's owner
    score: Score | None = None
    label: str | None = None
    rating: Rating | None = None
    comment: str | None = None
    weight: float = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)
    event_time: int | None = None
    feedback_id: str | None = None
    reasons: tuple[str, ...] = ()  # checked against the offered reasons by the door
    # Lock the task's controls even without a rating (a redeemed feedback link does).
    marks_task: bool = False
    # The widget's and SAM's doors name a task of their own in a session of their own.
    owner: str | None = None
    in_session: str | None = None
    unknown_target: UnknownTarget = unknown_task
    # A `task_ref` that matches no task is a trace whose task is still to come: store the
    # feedback against it (VoltAgent's Agent asks before the host could push the task).
    wait_for_trace: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedbackView:
    id: str
    task_id: str | None
    session_id: str | None  # None while it waits for its trace's task
    target_kind: str  # task, session, or trace (its task has not arrived yet)
    target_id: str
    user_id: str | None  # None while it waits for its trace's task, if no door named one
    agent_id: str | None
    key: str
    exclusive: bool  # the key's one-per-target rule, copied so the database can hold it
    rating: str | None
    score: float | None
    label: str | None
    comment: str | None
    weight: float
    source: str
    via: str
    organisation: str | None
    prompt: str | None
    environment: str | None
    metadata: dict[str, Any]
    created_time: int
    event_time: int | None
    model: str | None  # what was rated, copied from the task (it outlives the task)
    prompt_version: str | None
    reasons: tuple[str, ...]
    marks_task: bool  # it shows on the task as given (a rating, or a link's answer)
    # The review queue's state: what a reviewer decided, and the version their next action
    # must name (app/feedback/review.py).
    review_status: str = "open"
    review_labels: tuple[str, ...] = ()
    correction: str | None = None
    review_note: str | None = None
    review_version: int = 0
    reviewed_by: str | None = None
    reviewed_time: int | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> FeedbackView:
        values = {name: row[name] for name in COLUMNS}
        values["metadata"] = dict(values["metadata"] or {})
        values["reasons"] = tuple(values["reasons"] or ())
        values["review_labels"] = tuple(values["review_labels"] or ())
        return cls(**values)

    def row(self) -> dict[str, Any]:
        """The values to store, one per column."""
        values = {name: getattr(self, name) for name in COLUMNS}
        values["reasons"] = list(self.reasons)
        values["review_labels"] = list(self.review_labels)
        return values

    def to_json(self) -> dict[str, Any]:
        """The API's shape: SAM's fields first, unchanged, then what the key registry and the
        dialects add."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "task_id": self.task_id,
            "user_id": self.user_id,
            "rating": self.rating,
            "comment": self.comment,
            "created_time": self.created_time,
            "key": self.key,
            "score": self.score,
            "label": self.label,
            "weight": self.weight,
            "source": self.source,
            "via": self.via,
            "target": {"kind": self.target_kind, "id": self.target_id},
            "agent_id": self.agent_id,
            "organisation": self.organisation,
            "prompt": self.prompt,
            "environment": self.environment,
            "event_time": self.event_time,
            "metadata": self.metadata,
            "reasons": list(self.reasons),
            "model": self.model,
            "prompt_version": self.prompt_version,
            "review_status": self.review_status,
            "review_labels": list(self.review_labels),
            "correction": self.correction,
            "review_note": self.review_note,
            "review_version": self.review_version,
            "reviewed_by": self.reviewed_by,
            "reviewed_time": self.reviewed_time,
        }

    def provided_state(self) -> dict[str, Any]:
        """What a task's metadata says once this feedback shows on it: SAM's fields, plus
        VoltAgent's "provided" fields."""
        return {
            "type": self.rating,
            "text": self.comment,
            "submitted": True,
            "id": self.id,
            "key": self.key,
            "provided": True,
            "providedAt": iso_ms(self.created_time),
            "feedbackId": self.id,
        }


COLUMNS = tuple(item.name for item in fields(FeedbackView))


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewEntry:
    """One reviewer action, as the item's history shows it: who, when, and the state it left."""

    version: int
    status: str
    labels: tuple[str, ...]
    correction: str | None
    note: str | None
    by: str
    time: int

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "labels": list(self.labels),
            "correction": self.correction,
            "note": self.note,
            "by": self.by,
            "time": self.time,
        }
