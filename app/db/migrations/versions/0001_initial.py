"""Sessions, tasks, task events and feedback.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("agent_id", sa.String(255), nullable=True),
        sa.Column("title", sa.String(255), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
    )
    op.create_index("ix_sessions_user_created", "sessions", ["user_id", "created_at"])

    op.create_table(
        "tasks",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column(
            "session_id",
            sa.String(128),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("agent_id", sa.String(255), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("request_text", sa.Text(), nullable=False),
        sa.Column("response_text", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("model", sa.String(255), nullable=True),
        sa.Column("prompt_version", sa.String(255), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("start_time", sa.BigInteger(), nullable=False),
        sa.Column("end_time", sa.BigInteger(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'cancelled')",
            name="ck_tasks_status",
        ),
    )
    op.create_index("ix_tasks_session_start", "tasks", ["session_id", "start_time"])
    op.create_index("ix_tasks_user", "tasks", ["user_id"])

    op.create_table(
        "task_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "task_id", sa.String(128), sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("direction", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
    )
    op.create_index("ix_task_events_task_time", "task_events", ["task_id", "created_time"])

    op.create_table(
        "feedback",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "task_id", sa.String(128), sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("agent_id", sa.String(255), nullable=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("rating", sa.String(8), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("label", sa.String(255), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("event_time", sa.BigInteger(), nullable=True),
        sa.UniqueConstraint("task_id", "key", name="uq_feedback_task_key"),
        sa.CheckConstraint("rating IS NULL OR rating IN ('up', 'down')", name="ck_feedback_rating"),
        sa.CheckConstraint("weight >= 0 AND weight <= 1", name="ck_feedback_weight"),
        sa.CheckConstraint(
            "source IN ('customer', 'platform', 'model')", name="ck_feedback_source"
        ),
        sa.CheckConstraint(
            "comment IS NULL OR length(comment) <= 5000", name="ck_feedback_comment_length"
        ),
    )
    op.create_index("ix_feedback_user_created", "feedback", ["user_id", "created_time"])
    op.create_index("ix_feedback_session_created", "feedback", ["session_id", "created_time"])
    op.create_index("ix_feedback_created", "feedback", ["created_time"])
    op.create_index("ix_feedback_rating_created", "feedback", ["rating", "created_time"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("task_events")
    op.drop_table("tasks")
    op.drop_table("sessions")
