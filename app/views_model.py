"""Immutable snapshots of stored rows, handed to templates, JSON and event listeners."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models import FINISHED_STATUSES, ChatSession, Feedback, Task


@dataclass(frozen=True)
class SessionView:
    id: str
    user_id: str
    agent_id: str | None
    title: str | None
    created_at: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, row: ChatSession) -> SessionView:
        return cls(
            row.id, row.user_id, row.agent_id, row.title, row.created_at, dict(row.metadata_ or {})
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

    @classmethod
    def of(cls, row: Task) -> TaskView:
        return cls(
            id=row.id,
            session_id=row.session_id,
            user_id=row.user_id,
            agent_id=row.agent_id,
            status=row.status,
            request_text=row.request_text,
            response_text=row.response_text or "",
            error=row.error,
            model=row.model,
            prompt_version=row.prompt_version,
            cost=row.cost,
            start_time=row.start_time,
            end_time=row.end_time,
            metadata=dict(row.metadata_ or {}),
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
            "prompt_version": self.prompt_version,
            "cost": self.cost,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "taskMetadata": {**self.metadata, "feedback": self.feedback},
        }


@dataclass(frozen=True)
class FeedbackView:
    id: str
    task_id: str | None
    session_id: str
    user_id: str
    agent_id: str | None
    key: str
    rating: str | None
    comment: str | None
    source: str
    created_time: int

    @classmethod
    def of(cls, row: Feedback) -> FeedbackView:
        return cls(
            row.id,
            row.task_id,
            row.session_id,
            row.user_id,
            row.agent_id,
            row.key,
            row.rating,
            row.comment,
            row.source,
            row.created_time,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_id": self.session_id,
            "task_id": self.task_id,
            "user_id": self.user_id,
            "rating": self.rating,
            "comment": self.comment,
            "created_time": self.created_time,
        }
