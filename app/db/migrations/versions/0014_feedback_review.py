"""The review queue: each feedback's review state (status, labels, a corrected answer, a note,
and a version every action raises), the history of actions, and the labels one row each so the
queue and the dashboard filter and count by them through an index.

Revision ID: 0014_feedback_review
Revises: 0013_task_retries
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_feedback_review"
down_revision = "0013_task_retries"
branch_labels = None
depends_on = None

COLUMNS = (
    "review_status",
    "review_labels",
    "correction",
    "review_note",
    "review_version",
    "reviewed_by",
    "reviewed_time",
)


STATUS_CHECK = "review_status IN ('open', 'reviewed', 'dismissed')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's ALTER TABLE takes a CHECK only inline; batch mode would rebuild the table.
        op.execute(
            "ALTER TABLE feedback ADD COLUMN review_status VARCHAR(16) DEFAULT 'open' NOT NULL "
            f"CONSTRAINT ck_feedback_review_status CHECK ({STATUS_CHECK})"
        )
    else:
        op.add_column(
            "feedback",
            sa.Column("review_status", sa.String(16), nullable=False, server_default="open"),
        )
        op.create_check_constraint("ck_feedback_review_status", "feedback", STATUS_CHECK)
    op.add_column("feedback", sa.Column("review_labels", sa.JSON(), nullable=True))
    op.add_column("feedback", sa.Column("correction", sa.Text(), nullable=True))
    op.add_column("feedback", sa.Column("review_note", sa.Text(), nullable=True))
    op.add_column(
        "feedback",
        sa.Column("review_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("feedback", sa.Column("reviewed_by", sa.String(255), nullable=True))
    op.add_column("feedback", sa.Column("reviewed_time", sa.BigInteger(), nullable=True))
    op.create_index(
        "ix_feedback_review", "feedback", ["review_status", "source", "created_time", "id"]
    )
    # The counts per status read these alone: 150 ms at 100,000 rows on SQLite without them.
    op.create_index(
        "ix_feedback_review_rated",
        "feedback",
        ["source", "rating", "review_status", "created_time"],
    )
    op.create_index(
        "ix_feedback_review_commented",
        "feedback",
        ["source", "review_status", "rating", "created_time"],
        sqlite_where=sa.text("comment IS NOT NULL"),
        postgresql_where=sa.text("comment IS NOT NULL"),
    )
    op.create_table(
        "feedback_reviews",
        sa.Column(
            "feedback_id",
            sa.String(36),
            sa.ForeignKey("feedback.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("correction", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(255), nullable=False),
        sa.Column("reviewed_time", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "feedback_review_labels",
        sa.Column(
            "feedback_id",
            sa.String(36),
            sa.ForeignKey("feedback.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("label", sa.String(40), primary_key=True),
    )
    op.create_index(
        "ix_feedback_review_labels_label", "feedback_review_labels", ["label", "feedback_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_review_labels_label", table_name="feedback_review_labels")
    op.drop_table("feedback_review_labels")
    op.drop_table("feedback_reviews")
    op.drop_index("ix_feedback_review_commented", table_name="feedback")
    op.drop_index("ix_feedback_review_rated", table_name="feedback")
    op.drop_index("ix_feedback_review", table_name="feedback")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_feedback_review_status", "feedback", type_="check")
    with op.batch_alter_table("feedback") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
