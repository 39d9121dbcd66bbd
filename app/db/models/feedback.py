"""Feedback rows, their chosen reasons, the key registry and single-use feedback links."""

from __future__ import annotations

from typing import Any

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
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.bounds import COMMENT_MAX_CHARS, ID_MAX_CHARS, REVIEW_LABEL_MAX_CHARS
from app.db.models.base import Base


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
    # What was rated, copied from the task when the feedback is stored (or its trace's task
    # arrives): the console groups by them without a join, and they outlive the task.
    model: Mapped[str | None] = mapped_column(String(255))
    prompt_version: Mapped[str | None] = mapped_column(String(255))
    # The reasons chosen with a thumbs rating, in the order offered; also one row each in
    # feedback_reasons, which the console filters and counts by.
    reasons: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    # It shows on its task as the feedback given (a rating, or a feedback link's answer): the
    # widget locks the task's controls, SAM's task JSON reports it. The first such row wins.
    marks_task: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The review queue's state (migration 0014): open until a reviewer acts; every action
    # raises `review_version`, which the next action must name (two reviewers never silently
    # overwrite each other). The labels are also one row each in feedback_review_labels.
    review_status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    review_labels: Mapped[list[str] | None] = mapped_column(JSON, default=list)
    correction: Mapped[str | None] = mapped_column(Text)
    review_note: Mapped[str | None] = mapped_column(Text)
    review_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    reviewed_time: Mapped[int | None] = mapped_column(BigInteger)

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
            "review_status IN ('open', 'reviewed', 'dismissed')", name="ck_feedback_review_status"
        ),
        CheckConstraint(
            f"comment IS NULL OR length(comment) <= {COMMENT_MAX_CHARS}",
            name="ck_feedback_comment_length",
        ),
        Index(
            "ix_feedback_task_shown",
            "task_id",
            sqlite_where=text("marks_task"),
            postgresql_where=text("marks_task"),
        ),
        # The listing's order, newest first with the id as tie-breaker, walks these at any
        # page (migration 0010).
        Index("ix_feedback_user_created", "user_id", "created_time", "id"),
        Index("ix_feedback_session_created", "session_id", "created_time", "id"),
        Index("ix_feedback_created", "created_time", "id"),
        Index("ix_feedback_rating_created", "rating", "created_time", "id"),
        Index("ix_feedback_key_created", "key", "created_time", "id"),
        Index("ix_feedback_organisation", "organisation"),
        Index("ix_feedback_prompt", "prompt"),
        Index("ix_feedback_environment", "environment"),
        Index("ix_feedback_target", "target_kind", "target_id"),
        # The console's dashboard: every figure of a period from this index alone.
        Index(
            "ix_feedback_console",
            "source",
            "created_time",
            "rating",
            "agent_id",
            "model",
            "prompt_version",
            "key",
        ),
        # The review queue, in arrival order, per status and source; and its counts per
        # status, from these two indexes alone (rated items, then commented ones).
        Index("ix_feedback_review", "review_status", "source", "created_time", "id"),
        Index("ix_feedback_review_rated", "source", "rating", "review_status", "created_time"),
        Index(
            "ix_feedback_review_commented",
            "source",
            "review_status",
            "rating",
            "created_time",
            sqlite_where=text("comment IS NOT NULL"),
            postgresql_where=text("comment IS NOT NULL"),
        ),
        Index(
            "ix_feedback_commented",
            "source",
            "created_time",
            sqlite_where=text("comment IS NOT NULL"),
            postgresql_where=text("comment IS NOT NULL"),
        ),
    )


class FeedbackReason(Base):
    """One chosen reason of one feedback: the console's filter and breakdown. The feedback's
    source, time and rating are copied here (none of them ever changes), so counting reasons
    over a period reads this table's index alone."""

    __tablename__ = "feedback_reasons"

    feedback_id: Mapped[str] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(40), primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    rating: Mapped[str] = mapped_column(String(8))
    created_time: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_feedback_reasons_period", "source", "created_time", "reason", "rating"),
        Index("ix_feedback_reasons_reason", "reason", "feedback_id"),
    )


class FeedbackReview(Base):
    """One reviewer's action on one feedback, kept as its history: the state it left."""

    __tablename__ = "feedback_reviews"

    feedback_id: Mapped[str] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(16))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    correction: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str] = mapped_column(String(255))
    reviewed_time: Mapped[int] = mapped_column(BigInteger)


class FeedbackReviewLabel(Base):
    """One label a reviewer attached to one feedback: the queue's and dashboard's label filter
    and breakdown."""

    __tablename__ = "feedback_review_labels"

    feedback_id: Mapped[str] = mapped_column(
        ForeignKey("feedback.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(REVIEW_LABEL_MAX_CHARS), primary_key=True)

    __table_args__ = (Index("ix_feedback_review_labels_label", "label", "feedback_id"),)


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
