"""The feedback a task shows as given is read from the feedback table, not copied into the
task: `feedback.marks_task` says a row shows on its task (a rating, or a link's answer), and
the copy in `tasks.metadata["feedback"]` goes (a platform could push a `feedback` key of its
own into task metadata and lock the task's controls).

Revision ID: 0009_feedback_shown_on_task
Revises: 0008_console_sessions
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_feedback_shown_on_task"
down_revision = "0008_console_sessions"
branch_labels = None
depends_on = None

FEEDBACK = sa.table(
    "feedback", sa.column("id", sa.String), sa.column("rating"), sa.column("marks_task")
)
TASKS = sa.table("tasks", sa.column("id", sa.String), sa.column("metadata", sa.JSON))


def _copied_state(metadata: Any) -> str | None:
    """The feedback id in the state the server copied into a task's metadata, if any."""
    state = metadata.get("feedback") if isinstance(metadata, dict) else None
    if isinstance(state, dict) and state.get("submitted") is True and "id" in state:
        return str(state["id"])
    return None


def upgrade() -> None:
    op.add_column(
        "feedback",
        sa.Column("marks_task", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    conn = op.get_bind()
    conn.execute(FEEDBACK.update().where(FEEDBACK.c.rating.is_not(None)).values(marks_task=True))
    copied = sa.select(TASKS.c.id, TASKS.c.metadata).where(
        sa.cast(TASKS.c.metadata, sa.Text).like('%"feedback"%')
    )
    for task_id, metadata in conn.execute(copied).all():
        feedback_id = _copied_state(metadata)
        if feedback_id is None:
            continue
        conn.execute(FEEDBACK.update().where(FEEDBACK.c.id == feedback_id).values(marks_task=True))
        kept = {name: value for name, value in metadata.items() if name != "feedback"}
        conn.execute(TASKS.update().where(TASKS.c.id == task_id).values(metadata=kept))
    op.create_index(
        "ix_feedback_task_shown",
        "feedback",
        ["task_id"],
        sqlite_where=sa.text("marks_task"),
        postgresql_where=sa.text("marks_task"),
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_task_shown", table_name="feedback")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("marks_task")
