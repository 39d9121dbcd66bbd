"""When each scheduled job last ran, so that several instances run it once an interval.

Revision ID: 0006_scheduled_jobs
Revises: 0005_reply_html
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_scheduled_jobs"
down_revision = "0005_reply_html"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_jobs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("last_run_ms", sa.BigInteger(), nullable=False),
        sa.Column("ran_by", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scheduled_jobs")
