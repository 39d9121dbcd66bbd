"""A turn sent again with the widget's Retry remembers the turn it retries, so the two
answers to one user message are known to belong together (a preference pair when one is
rated up and the other down), not guessed from equal texts.

Revision ID: 0013_task_retries
Revises: 0012_task_spans
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_task_retries"
down_revision = "0012_task_spans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No foreign key: SQLite's ALTER TABLE cannot add one, and data retention deletes turns
    # in batches in any order; a dangling `retry_of` just pairs with nothing.
    op.add_column("tasks", sa.Column("retry_of", sa.String(128), nullable=True))
    op.create_index("ix_tasks_retry_of", "tasks", ["retry_of"])


def downgrade() -> None:
    op.drop_index("ix_tasks_retry_of", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("retry_of")
