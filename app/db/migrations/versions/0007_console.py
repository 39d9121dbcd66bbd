"""The operator console: what was rated (model, prompt version) and why (reasons) on each
feedback row, and the indexes its dashboard reads by.

Revision ID: 0007_console
Revises: 0006_scheduled_jobs
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_console"
down_revision = "0006_scheduled_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("model", sa.String(255), nullable=True))
        batch.add_column(sa.Column("prompt_version", sa.String(255), nullable=True))
        batch.add_column(sa.Column("reasons", sa.JSON(), nullable=True))
    # Feedback already stored learns what it rated from its task, where the task remains.
    op.execute(
        "UPDATE feedback SET "
        "model = (SELECT tasks.model FROM tasks WHERE tasks.id = feedback.task_id), "
        "prompt_version = (SELECT tasks.prompt_version FROM tasks "
        "WHERE tasks.id = feedback.task_id) "
        "WHERE task_id IS NOT NULL"
    )
    op.create_table(
        "feedback_reasons",
        sa.Column(
            "feedback_id",
            sa.String(36),
            sa.ForeignKey("feedback.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("reason", sa.String(40), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
    )
    op.create_index(
        "ix_feedback_reasons_period",
        "feedback_reasons",
        ["source", "created_time", "reason", "rating"],
    )
    op.create_index("ix_feedback_reasons_reason", "feedback_reasons", ["reason", "feedback_id"])
    op.create_index(
        "ix_feedback_console",
        "feedback",
        ["source", "created_time", "rating", "agent_id", "model", "prompt_version", "key"],
    )
    op.create_index(
        "ix_feedback_commented",
        "feedback",
        ["source", "created_time"],
        sqlite_where=sa.text("comment IS NOT NULL"),
        postgresql_where=sa.text("comment IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_commented", table_name="feedback")
    op.drop_index("ix_feedback_console", table_name="feedback")
    op.drop_index("ix_feedback_reasons_reason", table_name="feedback_reasons")
    op.drop_index("ix_feedback_reasons_period", table_name="feedback_reasons")
    op.drop_table("feedback_reasons")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("reasons")
        batch.drop_column("prompt_version")
        batch.drop_column("model")
