"""Console sessions on the server: signing out ends a session on every instance at once, and
the cookie carries a random id instead of anything derived from the operator's key.

Revision ID: 0008_console_sessions
Revises: 0007_console
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_console_sessions"
down_revision = "0007_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("key_name", sa.Text(), nullable=False),
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("expires_time", sa.BigInteger(), nullable=False),
        sa.Column("ended_time", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
    )
    op.create_index("ix_console_sessions_expires", "console_sessions", ["expires_time"])


def downgrade() -> None:
    op.drop_index("ix_console_sessions_expires", table_name="console_sessions")
    op.drop_table("console_sessions")
