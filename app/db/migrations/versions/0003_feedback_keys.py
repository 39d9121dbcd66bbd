"""Key registry, feedback targets, dialect fields, trace ids and feedback tokens.

Revision ID: 0003_feedback_keys
Revises: 0002_outbox
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_feedback_keys"
down_revision = "0002_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("trace_id", sa.String(255), nullable=True))
        batch.create_index("uq_tasks_trace_id", ["trace_id"], unique=True)

    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("target_kind", sa.String(16), nullable=True))
        batch.add_column(sa.Column("target_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("exclusive", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("via", sa.String(16), nullable=True))
        batch.add_column(sa.Column("organisation", sa.String(255), nullable=True))
        batch.add_column(sa.Column("prompt", sa.String(255), nullable=True))
        batch.add_column(sa.Column("environment", sa.String(255), nullable=True))
        batch.drop_constraint("uq_feedback_task_key", type_="unique")
    # Every row so far is the widget's thumbs on a task: one per task, by definition.
    op.execute(
        "UPDATE feedback SET"
        " target_kind = CASE WHEN task_id IS NULL THEN 'session' ELSE 'task' END,"
        " target_id = COALESCE(task_id, session_id), exclusive = TRUE, via = 'widget'"
    )
    with op.batch_alter_table("feedback") as batch:
        batch.alter_column("target_kind", existing_type=sa.String(16), nullable=False)
        batch.alter_column("target_id", existing_type=sa.String(128), nullable=False)
        batch.alter_column("exclusive", existing_type=sa.Boolean(), nullable=False)
        batch.alter_column("via", existing_type=sa.String(16), nullable=False)
    op.create_index(
        "uq_feedback_one_per_target",
        "feedback",
        ["target_kind", "target_id", "key"],
        unique=True,
        sqlite_where=sa.text("exclusive"),
        postgresql_where=sa.text("exclusive"),
    )
    op.create_index(
        "uq_feedback_one_reaction_per_task",
        "feedback",
        ["task_id"],
        unique=True,
        sqlite_where=sa.text("rating IS NOT NULL"),
        postgresql_where=sa.text("rating IS NOT NULL"),
    )
    op.create_index("ix_feedback_key_created", "feedback", ["key", "created_time"])
    op.create_index("ix_feedback_organisation", "feedback", ["organisation"])
    op.create_index("ix_feedback_prompt", "feedback", ["prompt"])
    op.create_index("ix_feedback_environment", "feedback", ["environment"])

    op.create_table(
        "feedback_keys",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("one_per_target", sa.Boolean(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "type IN ('boolean', 'numeric', 'continuous', 'categorical', 'freeform')",
            name="ck_feedback_keys_type",
        ),
    )
    op.create_table(
        "feedback_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "task_id",
            sa.String(128),
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("expires_time", sa.BigInteger(), nullable=False),
        sa.Column("used_time", sa.BigInteger(), nullable=True),
        sa.Column("feedback_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_feedback_tokens_task", "feedback_tokens", ["task_id"])


def downgrade() -> None:
    op.drop_table("feedback_tokens")
    op.drop_table("feedback_keys")
    for index in (
        "ix_feedback_environment",
        "ix_feedback_prompt",
        "ix_feedback_organisation",
        "ix_feedback_key_created",
        "uq_feedback_one_reaction_per_task",
        "uq_feedback_one_per_target",
    ):
        op.drop_index(index, table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        for column in ("environment", "prompt", "organisation", "via", "exclusive"):
            batch.drop_column(column)
        batch.drop_column("target_id")
        batch.drop_column("target_kind")
        batch.create_unique_constraint("uq_feedback_task_key", ["task_id", "key"])
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("uq_tasks_trace_id")
        batch.drop_column("trace_id")
