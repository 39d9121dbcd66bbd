"""A chat and its turns as the rest of the server sees them: immutable snapshots of stored
rows (`from_row`), handed to templates, JSON and event listeners, so nothing outside a unit of
work ever holds a live database object."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.db.models import FINISHED_STATUSES


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a chat, as an agent receives it for context."""

    request_text: str
    response_text: str


@dataclass(frozen=True)
class SessionView:
    id: str
    user_id: str
    agent_id: str | None
    title: str | None
    created_at: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> SessionView:
        return cls(
            row["id"],
            row["user_id"],
            row["agent_id"],
            row["title"],
            row["created_at"],
            dict(row["metadata"] or {}),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user_id": self.user_id,
            "agent_id": self.agent_id,
            "title": self.title,
            "created_at": self.created_at,
            "metadata": self.metadata,
        }


@dataclass(frozen=True)
class TaskView:
    id: str
    session_id: str
    user_id: str
    agent_id: str | None
    status: str
    request_text: str
    response_text: str
    error: str | None
    model: str | None
    prompt_version: str | None
    cost: float | None
    start_time: int
    end_time: int | None
    metadata: dict[str, Any] = field(default_factory=dict)
    trace_id: str | None = None
    response_html: str | None = None
    html_version: str | None = None
    agent_type: str | None = None
    otel_trace_id: str | None = None  # the span this server exported for the turn
    otel_span_id: str | None = None
    retry_of: str | None = None  # the turn this one answers again (the widget's Retry)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> TaskView:
        return cls(
            id=row["id"],
            session_id=row["session_id"],
            user_id=row["user_id"],
            agent_id=row["agent_id"],
            status=row["status"],
            request_text=row["request_text"],
            response_text=row["response_text"] or "",
            error=row["error"],
            model=row["model"],
            prompt_version=row["prompt_version"],
            cost=row["cost"],
            start_time=row["start_time"],
            end_time=row["end_time"],
            metadata=dict(row["metadata"] or {}),
            trace_id=row["trace_id"],
            response_html=row.get("response_html"),
            html_version=row.get("html_version"),
            agent_type=row.get("agent_type"),
            otel_trace_id=row.get("otel_trace_id"),
            otel_span_id=row.get("otel_span_id"),
            retry_of=row.get("retry_of"),
        )

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def to_json(self, feedback: dict[str, Any] | None = None) -> dict[str, Any]:
        """SAM's task shape; `feedback` is the state of the feedback the task shows as given
        (`FeedbackView.provided_state`), which SAM's clients read from its metadata."""
        return {
            "id": self.id,
            "taskId": self.id,
            "session_id": self.session_id,
            "user_id": self.user_id,
            "agent_id": self.agent_id,
            "status": self.status,
            "request_text": self.request_text,
            "response_text": self.response_text,
            "error": self.error,
            "model": self.model,
            "agent_type": self.agent_type,
            "prompt_version": self.prompt_version,
            "cost": self.cost,
            "trace_id": self.trace_id,
            "retry_of": self.retry_of,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "taskMetadata": {**self.metadata, "feedback": feedback},
        }


@dataclass(frozen=True, kw_only=True)
class NewTask:
    """A turn as every writer hands it to the store: the widget's composer, the push API, a
    Trodo run. The store stores it as a TaskView (a completed one rendered at once)."""

    request_text: str
    id: str | None = None
    status: str = "running"
    response_text: str = ""
    agent_id: str | None = None  # else the chat's agent
    agent_type: str | None = None  # set only for turns this server's agent runs
    model: str | None = None
    prompt_version: str | None = None
    cost: float | None = None
    trace_id: str | None = None  # the platform's reference (an OTel trace, a Trodo run)
    metadata: dict[str, Any] | None = None
    retry_of: str | None = None  # the turn of the same chat this one answers again


@dataclass(frozen=True, kw_only=True)
class TaskChange:
    """A change to an unfinished turn: more text (or all of it), its end, what answered."""

    append_text: str | None = None
    response_text: str | None = None
    status: str | None = None
    error: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    cost: float | None = None
    otel_trace_id: str | None = None  # the turn's exported span (the runner's own turns)
    otel_span_id: str | None = None
