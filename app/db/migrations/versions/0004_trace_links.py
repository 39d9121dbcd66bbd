"""Feedback links bound to a trace not seen yet, with the source their issuer chose.

A link may now exist before its task (VoltAgent's Agent asks for one at the start of a run):
it keeps the trace id, and its task once a task with that trace id is pushed. An answer that
arrives first is stored against the trace, with no session or user until the task arrives.

Revision ID: 0004_trace_links
Revises: 0003_feedback_keys
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_trace_links"
down_revision = "0003_feedback_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback_tokens") as batch:
        batch.add_column(sa.Column("trace_id", sa.String(255), nullable=True))
        batch.add_column(
            sa.Column("source", sa.String(16), nullable=False, server_default="customer")
        )
        batch.alter_column("task_id", existing_type=sa.String(128), nullable=True)
        batch.create_index("ix_feedback_tokens_trace", ["trace_id"])
    with op.batch_alter_table("feedback") as batch:
        batch.alter_column("session_id", existing_type=sa.String(128), nullable=True)
        batch.alter_column("user_id", existing_type=sa.String(255), nullable=True)
        batch.alter_column("target_id", existing_type=sa.String(128), type_=sa.String(255))
        batch.create_index("ix_feedback_target", ["target_kind", "target_id"])


def downgrade() -> None:
    op.execute("DELETE FROM feedback WHERE target_kind = 'trace'")
    op.execute("DELETE FROM feedback_tokens WHERE task_id IS NULL")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_index("ix_feedback_target")
        batch.alter_column("target_id", existing_type=sa.String(255), type_=sa.String(128))
        batch.alter_column("user_id", existing_type=sa.String(255), nullable=False)
        batch.alter_column("session_id", existing_type=sa.String(128), nullable=False)
    with op.batch_alter_table("feedback_tokens") as batch:
        batch.drop_index("ix_feedback_tokens_trace")
        batch.alter_column("task_id", existing_type=sa.String(128), nullable=False)
        batch.drop_column("source")
        batch.drop_column("trace_id")
