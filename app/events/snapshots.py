"""Immutable snapshots of stored rows, handed to templates, JSON and event listeners.

Store functions build them from Core rows (`from_row`), so nothing outside a unit of work
ever holds a live database object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.db.models import FINISHED_STATUSES


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
        )

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def feedback(self) -> dict[str, Any] | None:
        state = self.metadata.get("feedback")
        return state if isinstance(state, dict) else None

    def to_json(self) -> dict[str, Any]:
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
            "start_time": self.start_time,
            "end_time": self.end_time,
            "taskMetadata": {**self.metadata, "feedback": self.feedback},
        }


@dataclass(frozen=True)
class FeedbackView:
    id: str
    task_id: str | None
    session_id: str | None  # None while it waits for its trace's task
    user_id: str | None  # likewise
    agent_id: str | None
    key: str
    rating: str | None
    comment: str | None
    source: str
    created_time: int
    score: float | None = None
    label: str | None = None
    weight: float = 1.0
    via: str = "widget"
    target_kind: str = "task"
    target_id: str = ""
    organisation: str | None = None
    prompt: str | None = None
    environment: str | None = None
    event_time: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    prompt_version: str | None = None
    reasons: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> FeedbackView:
        return cls(
            id=row["id"],
            task_id=row["task_id"],
            session_id=row["session_id"],
            user_id=row["user_id"],
            agent_id=row["agent_id"],
            key=row["key"],
            rating=row["rating"],
            comment=row["comment"],
            source=row["source"],
            created_time=row["created_time"],
            score=row["score"],
            label=row["label"],
            weight=row["weight"],
            via=row["via"],
            target_kind=row["target_kind"],
            target_id=row["target_id"],
            organisation=row["organisation"],
            prompt=row["prompt"],
            environment=row["environment"],
            event_time=row["event_time"],
            metadata=dict(row["metadata"] or {}),
            model=row["model"],
            prompt_version=row["prompt_version"],
            reasons=tuple(row["reasons"] or ()),
        )

    def to_json(self) -> dict[str, Any]:
        return feedback_json(self.__dict__)


def feedback_json(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The API's shape of a feedback row, from a stored row or a view: SAM's fields first,
    unchanged, then what the key registry and the dialects add. The listing builds it straight
    from rows, which is half its cost saved over building views first."""
    return {
        "id": row["id"],
        "session_id": row["session_id"],
        "task_id": row["task_id"],
        "user_id": row["user_id"],
        "rating": row["rating"],
        "comment": row["comment"],
        "created_time": row["created_time"],
        "key": row["key"],
        "score": row["score"],
        "label": row["label"],
        "weight": row["weight"],
        "source": row["source"],
        "via": row["via"],
        "target": {"kind": row["target_kind"], "id": row["target_id"]},
        "agent_id": row["agent_id"],
        "organisation": row["organisation"],
        "prompt": row["prompt"],
        "environment": row["environment"],
        "event_time": row["event_time"],
        "metadata": row["metadata"] or {},
        "reasons": list(row["reasons"] or ()),
        "model": row["model"],
        "prompt_version": row["prompt_version"],
    }
