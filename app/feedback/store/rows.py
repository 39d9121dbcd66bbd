"""SQL for feedback rows: store one, change one, move one that waited for its trace onto the
task that arrived, and find what each task shows as given. Writes raise FeedbackSubmitted on
the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.db.models import FEEDBACK, FEEDBACK_REASONS
from app.db.writer import Transaction
from app.errors import APIError, conflict
from app.feedback.events import FeedbackSubmitted
from app.feedback.model import FeedbackView
from app.transcripts.model import TaskView


def already_submitted(target_kind: str = "task") -> APIError:
    where = "this conversation" if target_kind == "session" else "this response"
    return conflict(
        f"Feedback has already been submitted for {where}.", "feedback_already_submitted"
    )


_GET = select(FEEDBACK).where(FEEDBACK.c.id == bindparam("b_id"))
_INSERT = insert(FEEDBACK)
_INSERT_REASON = insert(FEEDBACK_REASONS)
_CHANGE = update(FEEDBACK).where(FEEDBACK.c.id == bindparam("b_id")).returning(*FEEDBACK.c)
_WAITING = (
    select(FEEDBACK)
    .where(FEEDBACK.c.target_kind == "trace", FEEDBACK.c.target_id == bindparam("b_trace"))
    .order_by(FEEDBACK.c.created_time)
)
_SHOWN = (
    select(FEEDBACK)
    .where(FEEDBACK.c.task_id.in_(bindparam("b_tasks", expanding=True)), FEEDBACK.c.marks_task)
    .order_by(FEEDBACK.c.created_time, FEEDBACK.c.id)
)


def get_feedback(conn: Connection, feedback_id: str) -> FeedbackView | None:
    row = conn.execute(_GET, {"b_id": feedback_id}).mappings().first()
    return FeedbackView.from_row(row) if row else None


def shown_on_tasks(conn: Connection, task_ids: Iterable[str]) -> dict[str, FeedbackView]:
    """The feedback each task shows as given (its first rating or link answer), by task id;
    tasks without any are left out."""
    wanted = list(task_ids)
    if not wanted:
        return {}
    shown: dict[str, FeedbackView] = {}
    for row in conn.execute(_SHOWN, {"b_tasks": wanted}).mappings():
        if row["task_id"] not in shown:  # oldest first: the first one given is shown
            shown[row["task_id"]] = FeedbackView.from_row(row)
    return shown


def add_feedback(
    tx: Transaction, feedback: FeedbackView, task: TaskView | None
) -> FeedbackSubmitted:
    """Store one feedback and raise FeedbackSubmitted, which is also returned. No pre-check:
    the unique indexes (one per target for exclusive keys, one reaction per task) decide,
    whoever races."""
    if get_feedback(tx.conn, feedback.id) is not None:
        raise conflict(f"Feedback with ID '{feedback.id}' already exists.", "feedback_exists")
    try:
        tx.conn.execute(_INSERT, feedback.row())
    except IntegrityError:
        # Another request (tab, process, dialect) won the race; a unique index decided.
        raise already_submitted(feedback.target_kind) from None
    if feedback.reasons:
        tx.conn.execute(
            _INSERT_REASON,
            [
                {
                    "feedback_id": feedback.id,
                    "reason": reason,
                    "source": feedback.source,
                    "rating": feedback.rating,
                    "created_time": feedback.created_time,
                }
                for reason in feedback.reasons
            ],
        )
    event = FeedbackSubmitted(feedback, task)
    tx.emit(event)
    return event


def waiting_for_trace(conn: Connection, trace_id: str) -> list[FeedbackView]:
    rows = conn.execute(_WAITING, {"b_trace": trace_id}).mappings()
    return [FeedbackView.from_row(row) for row in rows]


def attach_to_task(tx: Transaction, row: FeedbackView, task: TaskView, *, marks: bool) -> bool:
    """Move feedback that waited for its trace onto the task that arrived, and raise the event.
    False, leaving it waiting, when the task already holds what it would add (a unique index
    refused it: another answer for the same trace got there first)."""
    try:
        with tx.conn.begin_nested():
            moved = {
                "b_id": row.id,
                "task_id": task.id,
                "session_id": task.session_id,
                "target_kind": "task",
                "target_id": task.id,
                "user_id": row.user_id or task.user_id,
                "agent_id": task.agent_id,
                "model": task.model,
                "prompt_version": task.prompt_version,
                "marks_task": marks,
            }
            updated = tx.conn.execute(_CHANGE, moved).mappings().one()
    except IntegrityError:
        return False
    tx.emit(FeedbackSubmitted(FeedbackView.from_row(updated), task, new=False))
    return True


def update_feedback(
    tx: Transaction, feedback_id: str, values: dict[str, Any], task: TaskView | None
) -> FeedbackView:
    """Change a stored feedback's value, weight or metadata and raise FeedbackSubmitted."""
    row = tx.conn.execute(_CHANGE, {"b_id": feedback_id, **values}).mappings().one()
    view = FeedbackView.from_row(row)
    tx.emit(FeedbackSubmitted(view, task, new=False))
    return view


def delete_feedback_before(tx: Transaction, *, before: int, limit: int) -> int:
    """Delete up to `limit` feedback rows created before `before` (data retention); how many."""
    query = select(FEEDBACK.c.id).where(FEEDBACK.c.created_time < before).limit(limit)
    ids = list(tx.conn.scalars(query).all())
    if ids:
        tx.conn.execute(delete(FEEDBACK).where(FEEDBACK.c.id.in_(ids)))
    return len(ids)


def detach_from_tasks(tx: Transaction, task_ids: list[str]) -> None:
    """Keep feedback whose tasks are about to be deleted, with its task link cleared."""
    tx.conn.execute(update(FEEDBACK).where(FEEDBACK.c.task_id.in_(task_ids)).values(task_id=None))
