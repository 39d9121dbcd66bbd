"""Transactional outbox for feedback events.

Revision ID: 0002_outbox
Revises: 0001_initial
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_outbox"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("destination", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(128), nullable=False),
        sa.Column("feedback_id", sa.String(36), nullable=True),
        sa.Column("topic", sa.String(1024), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_time", sa.BigInteger(), nullable=False),
        sa.Column("claimed_until", sa.BigInteger(), nullable=True),
        sa.Column("delivered_time", sa.BigInteger(), nullable=True),
    )
    op.create_index(
        "ix_outbox_queue", "outbox", ["destination", "session_id", "delivered_time", "seq"]
    )
    op.create_index("ix_outbox_due", "outbox", ["delivered_time", "next_attempt_time"])


def downgrade() -> None:
    op.drop_table("outbox")
