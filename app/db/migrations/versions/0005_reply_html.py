"""Each reply's safe HTML, rendered once when it completes, and the agent type that wrote it.

Revision ID: 0005_reply_html
Revises: 0004_trace_links
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_reply_html"
down_revision = "0004_trace_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("response_html", sa.Text(), nullable=True))
        batch.add_column(sa.Column("html_version", sa.String(64), nullable=True))
        batch.add_column(sa.Column("agent_type", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("agent_type")
        batch.drop_column("html_version")
        batch.drop_column("response_html")
