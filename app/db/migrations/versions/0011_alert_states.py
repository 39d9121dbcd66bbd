"""Each alert's state (`ok` or `firing`) and the figures of its last change, in the database so
that it survives a restart and several instances agree: a change is a conditional write on
this row, so only one instance sends each `firing` and `resolved`.

Revision ID: 0011_alert_states
Revises: 0010_listing_indexes
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_alert_states"
down_revision = "0010_listing_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_states",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("changed_time", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("negative", sa.Integer(), nullable=False),
        sa.CheckConstraint("state IN ('ok', 'firing')", name="ck_alert_states_state"),
    )


def downgrade() -> None:
    op.drop_table("alert_states")
