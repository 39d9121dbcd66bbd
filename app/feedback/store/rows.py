"""SQL for feedback rows: store one, change one, and move one that waited for its trace onto
the task that arrived. Each raises FeedbackSubmitted on the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.clock import iso_ms, now_ms
from app.db.models import FEEDBACK, FEEDBACK_REASONS
from app.errors import APIError, conflict
from app.events.domain import FeedbackSubmitted
from app.events.snapshots import FeedbackView, TaskView
from app.events.transaction import Transaction
from app.transcripts.store import set_task_metadata


def already_submitted(target_kind: str = "task") -> APIError:
    where = "this conversation" if target_kind == "session" else "this response"
    return conflict(
        f"Feedback has already been submitted for {where}.", "feedback_already_submitted"
    )


@dataclass(frozen=True)
class NewFeedback:
    """A judged submission, ready to store on a task, a whole session, or a trace whose task
    has not arrived yet (`trace_id`, with no session and maybe no user)."""

    key: str
    exclusive: bool
    user_id: str | None
    session_id: str | None
    task: TaskView | None
    score: float | None = None
    label: str | None = None
    rating: str | None = None
    comment: str | None = None
    weight: float = 1.0
    source: str = "customer"
    via: str = "widget"
    metadata: dict[str, Any] = field(default_factory=dict)
    organisation: str | None = None
    prompt: str | None = None
    environment: str | None = None
    event_time: int | None = None
    feedback_id: str | None = None
    # Lock the task's controls even without a thumbs rating (a redeemed feedback link does).
    marks_task: bool = False
    trace_id: str | None = None
    reasons: tuple[str, ...] = ()

    @property
    def target(self) -> tuple[str, str]:
        if self.task is not None:
            return "task", self.task.id
        if self.trace_id is not None:
            return "trace", self.trace_id
        return "session", self.session_id or ""


def feedback_state(row: FeedbackView) -> dict[str, Any]:
    """What a task's metadata says once feedback is in: SAM's fields plus VoltAgent's."""
    return {
        "type": row.rating,
        "text": row.comment,
        "submitted": True,
        "id": row.id,
        "key": row.key,
        "provided": True,
        "providedAt": iso_ms(row.created_time),
        "feedbackId": row.id,
    }


_GET = select(FEEDBACK).where(FEEDBACK.c.id == bindparam("b_id"))
_INSERT = insert(FEEDBACK)
_INSERT_REASON = insert(FEEDBACK_REASONS)
_CHANGE = update(FEEDBACK).where(FEEDBACK.c.id == bindparam("b_id")).returning(*FEEDBACK.c)
_WAITING = (
    select(FEEDBACK)
    .where(FEEDBACK.c.target_kind == "trace", FEEDBACK.c.target_id == bindparam("b_trace"))
    .order_by(FEEDBACK.c.created_time)
)


def get_feedback(conn: Connection, feedback_id: str) -> FeedbackView | None:
    row = conn.execute(_GET, {"b_id": feedback_id}).mappings().first()
    return FeedbackView.from_row(row) if row else None


def add_feedback(tx: Transaction, new: NewFeedback) -> FeedbackSubmitted:
    """Store one submission and raise FeedbackSubmitted, which is also returned: the row and
    its task as they now stand. No pre-check: the unique indexes (one per target for
    exclusive keys, one reaction per task) decide, whoever races."""
    task = new.task
    target_kind, target_id = new.target
    if new.feedback_id is not None and get_feedback(tx.conn, new.feedback_id) is not None:
        raise conflict(f"Feedback with ID '{new.feedback_id}' already exists.", "feedback_exists")
    values = {
        "id": new.feedback_id or str(uuid.uuid4()),
        "task_id": task.id if task is not None else None,
        "session_id": new.session_id,
        "target_kind": target_kind,
        "target_id": target_id,
        "user_id": new.user_id,
        "agent_id": task.agent_id if task is not None else None,
        "key": new.key,
        "exclusive": new.exclusive,
        "rating": new.rating,
        "score": new.score,
        "label": new.label,
        "comment": new.comment or None,
        "weight": new.weight,
        "source": new.source,
        "via": new.via,
        "organisation": new.organisation,
        "prompt": new.prompt,
        "environment": new.environment,
        "metadata": new.metadata,
        "created_time": now_ms(),
        "event_time": new.event_time,
        "model": task.model if task is not None else None,
        "prompt_version": task.prompt_version if task is not None else None,
        "reasons": list(new.reasons),
    }
    try:
        tx.conn.execute(_INSERT, values)
    except IntegrityError:
        # Another request (tab, process, dialect) won the race; a unique index decided.
        raise already_submitted(target_kind) from None
    if new.reasons:
        tx.conn.execute(
            _INSERT_REASON,
            [
                {
                    "feedback_id": values["id"],
                    "reason": reason,
                    "source": new.source,
                    "rating": new.rating,
                    "created_time": values["created_time"],
                }
                for reason in new.reasons
            ],
        )
    return _announce(
        tx, FeedbackView.from_row(values), task, marks=bool(new.rating or new.marks_task)
    )


def _announce(
    tx: Transaction, view: FeedbackView, task: TaskView | None, *, marks: bool
) -> FeedbackSubmitted:
    """Mark the task as given feedback (its first reaction or link answer) and raise the event."""
    if task is not None and task.feedback is None and marks:
        task = set_task_metadata(tx, task, {**task.metadata, "feedback": feedback_state(view)})
    event = FeedbackSubmitted(view, task)
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
            }
            updated = tx.conn.execute(_CHANGE, moved).mappings().one()
    except IntegrityError:
        return False
    _announce(tx, FeedbackView.from_row(updated), task, marks=marks)
    return True


def update_feedback(
    tx: Transaction, feedback_id: str, values: dict[str, Any], task: TaskView | None
) -> FeedbackView:
    """Change a stored feedback's value, weight or metadata and raise FeedbackSubmitted."""
    row = tx.conn.execute(_CHANGE, {"b_id": feedback_id, **values}).mappings().one()
    view = FeedbackView.from_row(row)
    tx.emit(FeedbackSubmitted(view, task))
    return view
