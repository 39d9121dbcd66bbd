"""Chat sessions, their tasks (turns) and each task's event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.bounds import ID_MAX_CHARS
from app.db.models.base import Base


class ChatSession(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(ID_MAX_CHARS), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    agent_id: Mapped[str | None] = mapped_column(String(255))
    title: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[int] = mapped_column(BigInteger)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)

    __table_args__ = (Index("ix_sessions_user_created", "user_id", "created_at"),)


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(ID_MAX_CHARS), primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(255))
    agent_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    request_text: Mapped[str] = mapped_column(Text)
    response_text: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(255))
    prompt_version: Mapped[str | None] = mapped_column(String(255))
    cost: Mapped[float | None] = mapped_column(Float)
    # The caller's own reference (OTel trace id, Trodo run id): feedback SDKs target it.
    trace_id: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[int] = mapped_column(BigInteger)
    end_time: Mapped[int | None] = mapped_column(BigInteger)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    # The reply's safe HTML, rendered once at completion, and the renderer that made it: a
    # page re-renders only what an older renderer (or sanitiser) produced.
    response_html: Mapped[str | None] = mapped_column(Text)
    html_version: Mapped[str | None] = mapped_column(String(64))
    # Which kind of agent answered (echo, openai, a2a, agui), for analytics by agent.
    agent_type: Mapped[str | None] = mapped_column(String(32))
    # The OpenTelemetry span this server exported for the turn (hex ids), where feedback on
    # the turn is annotated; unrelated to `trace_id`, the platform's own reference.
    otel_trace_id: Mapped[str | None] = mapped_column(String(32))
    otel_span_id: Mapped[str | None] = mapped_column(String(16))
    # The turn this one answers again (the widget's Retry): both answer one user message.
    retry_of: Mapped[str | None] = mapped_column(String(ID_MAX_CHARS))

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'cancelled')",
            name="ck_tasks_status",
        ),
        Index("ix_tasks_session_start", "session_id", "start_time"),
        Index("ix_tasks_user", "user_id"),
        Index("uq_tasks_trace_id", "trace_id", unique=True),
        Index("ix_tasks_retry_of", "retry_of"),
    )


class TaskEvent(Base):
    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    created_time: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[Any] = mapped_column(JSON, nullable=True)

    __table_args__ = (Index("ix_task_events_task_time", "task_id", "created_time"),)
