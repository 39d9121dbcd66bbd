"""SQLAlchemy models. The schema itself is owned by the Alembic migrations."""

from __future__ import annotations

from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.bounds import COMMENT_MAX_CHARS, ID_MAX_CHARS

TASK_STATUSES = ("pending", "running", "completed", "failed", "cancelled")
FINISHED_STATUSES = frozenset({"completed", "failed", "cancelled"})


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON}


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

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'cancelled')",
            name="ck_tasks_status",
        ),
        Index("ix_tasks_session_start", "session_id", "start_time"),
        Index("ix_tasks_user", "user_id"),
        Index("uq_tasks_trace_id", "trace_id", unique=True),
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


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    # Unknown (null) only while the feedback waits for its trace's task.
    session_id: Mapped[str | None] = mapped_column(String(ID_MAX_CHARS))
    # What the feedback is about: a task (`task`, its id), a whole conversation (`session`),
    # or a trace whose task has not been pushed yet (`trace`, the trace id).
    target_kind: Mapped[str] = mapped_column(String(16), default="task")
    target_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    agent_id: Mapped[str | None] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(64), default="thumbs")
    # Copied from the key when stored, so the database can hold its one-per-target rule.
    exclusive: Mapped[bool] = mapped_column(Boolean, default=True)
    rating: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    source: Mapped[str] = mapped_column(String(16), default="customer")
    # Which door it came through: widget, api, token, trodo, agentsight, portkey, voltagent.
    via: Mapped[str] = mapped_column(String(16), default="widget")
    # Portkey's indexed metadata fields, kept as columns so they can be filtered on.
    organisation: Mapped[str | None] = mapped_column(String(255))
    prompt: Mapped[str | None] = mapped_column(String(255))
    environment: Mapped[str | None] = mapped_column(String(255))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_time: Mapped[int] = mapped_column(BigInteger)
    event_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # One submission per target for keys that say so, for every writer and dialect.
        Index(
            "uq_feedback_one_per_target",
            "target_kind",
            "target_id",
            "key",
            unique=True,
            sqlite_where=text("exclusive"),
            postgresql_where=text("exclusive"),
        ),
        # One thumbs-style reaction (a rating of up or down) per task, whatever the key.
        Index(
            "uq_feedback_one_reaction_per_task",
            "task_id",
            unique=True,
            sqlite_where=text("rating IS NOT NULL"),
            postgresql_where=text("rating IS NOT NULL"),
        ),
        CheckConstraint("rating IS NULL OR rating IN ('up', 'down')", name="ck_feedback_rating"),
        CheckConstraint("weight >= 0 AND weight <= 1", name="ck_feedback_weight"),
        CheckConstraint("source IN ('customer', 'platform', 'model')", name="ck_feedback_source"),
        CheckConstraint(
            f"comment IS NULL OR length(comment) <= {COMMENT_MAX_CHARS}",
            name="ck_feedback_comment_length",
        ),
        Index("ix_feedback_user_created", "user_id", "created_time"),
        Index("ix_feedback_session_created", "session_id", "created_time"),
        Index("ix_feedback_created", "created_time"),
        Index("ix_feedback_rating_created", "rating", "created_time"),
        Index("ix_feedback_key_created", "key", "created_time"),
        Index("ix_feedback_organisation", "organisation"),
        Index("ix_feedback_prompt", "prompt"),
        Index("ix_feedback_environment", "environment"),
        Index("ix_feedback_target", "target_kind", "target_id"),
    )


KEY_TYPES = ("boolean", "numeric", "continuous", "categorical", "freeform")


class FeedbackKey(Base):
    """The key registry: what a feedback key's values look like. The stored config wins."""

    __tablename__ = "feedback_keys"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    one_per_target: Mapped[bool] = mapped_column(Boolean)
    created_time: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint(
            "type IN ('boolean', 'numeric', 'continuous', 'categorical', 'freeform')",
            name="ck_feedback_keys_type",
        ),
    )


class FeedbackToken(Base):
    """A single-use, expiring feedback link for one task (or a trace whose task is still to
    come). Only a hash of the secret is kept."""

    __tablename__ = "feedback_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    trace_id: Mapped[str | None] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    # Chosen by the issuer; an answer cannot change it.
    source: Mapped[str] = mapped_column(String(16), server_default="customer")
    created_by: Mapped[str] = mapped_column(String(255))
    created_time: Mapped[int] = mapped_column(BigInteger)
    expires_time: Mapped[int] = mapped_column(BigInteger)
    used_time: Mapped[int | None] = mapped_column(BigInteger)
    feedback_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        Index("ix_feedback_tokens_task", "task_id"),
        Index("ix_feedback_tokens_trace", "trace_id"),
    )


class OutboxEvent(Base):
    """An event waiting for (or done with) delivery to one destination.

    Written in the same transaction as the feedback it announces; `seq` gives the commit
    order that delivery keeps per session and destination.
    """

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    destination: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str] = mapped_column(String(ID_MAX_CHARS))
    feedback_id: Mapped[str | None] = mapped_column(String(36))
    topic: Mapped[str | None] = mapped_column(String(1024))
    payload: Mapped[str] = mapped_column(Text)
    created_time: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_time: Mapped[int] = mapped_column(BigInteger)
    claimed_until: Mapped[int | None] = mapped_column(BigInteger)
    delivered_time: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_outbox_queue", "destination", "session_id", "delivered_time", "seq"),
        Index("ix_outbox_due", "delivered_time", "next_attempt_time"),
    )


class ScheduledJob(Base):
    """When a scheduled job (data retention) last ran, and where: instances share it."""

    __tablename__ = "scheduled_jobs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_ms: Mapped[int] = mapped_column(BigInteger)
    ran_by: Mapped[str] = mapped_column(String(255))


# The tables, for Core statements in the store modules.
SESSIONS = cast(Table, ChatSession.__table__)
TASKS = cast(Table, Task.__table__)
TASK_EVENTS = cast(Table, TaskEvent.__table__)
FEEDBACK = cast(Table, Feedback.__table__)
FEEDBACK_KEYS = cast(Table, FeedbackKey.__table__)
FEEDBACK_TOKENS = cast(Table, FeedbackToken.__table__)
OUTBOX = cast(Table, OutboxEvent.__table__)
SCHEDULED_JOBS = cast(Table, ScheduledJob.__table__)
