"""SQL for feedback rows, the key registry and feedback links. Writes take the transaction
and raise their events on it; the database's unique indexes decide every race."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from app.clock import iso_ms, now_ms
from app.config.feedback import FeedbackKeySettings
from app.db.models import FEEDBACK, FEEDBACK_KEYS, FEEDBACK_TOKENS
from app.errors import APIError, conflict
from app.events.domain import FeedbackSubmitted
from app.events.snapshots import FeedbackView, TaskView
from app.events.transaction import Transaction
from app.feedback.rules import spec_of
from app.transcripts.store import set_task_metadata

KEYS = FEEDBACK_KEYS
TOKENS = FEEDBACK_TOKENS


def already_submitted(target_kind: str = "task") -> APIError:
    where = "this conversation" if target_kind == "session" else "this response"
    return conflict(
        f"Feedback has already been submitted for {where}.", "feedback_already_submitted"
    )


# --- The key registry ------------------------------------------------------------------------


def get_key(conn: Connection, name: str) -> FeedbackKeySettings | None:
    row = conn.execute(select(KEYS).where(KEYS.c.name == name)).mappings().first()
    if row is None:
        return None
    return spec_of(row["name"], row["type"], row["config"], row["one_per_target"])


def _key_values(spec: FeedbackKeySettings) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type,
        "config": {k: v for k, v in spec.config().items() if k != "type"},
        "one_per_target": spec.one_per_target,
        "created_time": now_ms(),
    }


def add_key_if_new(conn: Connection, spec: FeedbackKeySettings) -> FeedbackKeySettings:
    """Register `spec` unless its name is taken; either way, the stored key (it wins).
    Two first uses may race: the first insert wins and both go on with what is stored."""
    insert_into = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    conn.execute(
        insert_into(KEYS).values(_key_values(spec)).on_conflict_do_nothing(index_elements=["name"])
    )
    stored = get_key(conn, spec.name)
    assert stored is not None
    return stored


# --- Feedback rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NewFeedback:
    """A judged submission, ready to store on a task or a whole session."""

    key: str
    exclusive: bool
    user_id: str
    session_id: str
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


def get_feedback(conn: Connection, feedback_id: str) -> FeedbackView | None:
    row = conn.execute(select(FEEDBACK).where(FEEDBACK.c.id == feedback_id)).mappings().first()
    return FeedbackView.from_row(row) if row else None


def add_feedback(tx: Transaction, new: NewFeedback) -> FeedbackSubmitted:
    """Store one submission and raise FeedbackSubmitted, which is also returned: the row and
    its task as they now stand. No pre-check: the unique indexes (one per target for
    exclusive keys, one reaction per task) decide, whoever races."""
    task = new.task
    target_kind = "task" if task is not None else "session"
    if new.feedback_id is not None and get_feedback(tx.conn, new.feedback_id) is not None:
        raise conflict(f"Feedback with ID '{new.feedback_id}' already exists.", "feedback_exists")
    values = {
        "id": new.feedback_id or str(uuid.uuid4()),
        "task_id": task.id if task is not None else None,
        "session_id": new.session_id,
        "target_kind": target_kind,
        "target_id": task.id if task is not None else new.session_id,
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
    }
    try:
        tx.conn.execute(insert(FEEDBACK).values(values))
    except IntegrityError:
        # Another request (tab, process, dialect) won the race; a unique index decided.
        raise already_submitted(target_kind) from None
    view = FeedbackView.from_row(values)
    if task is not None and task.feedback is None and (new.rating or new.marks_task):
        task = set_task_metadata(tx, task.id, {**task.metadata, "feedback": feedback_state(view)})
    event = FeedbackSubmitted(view, task)
    tx.emit(event)
    return event


def update_feedback(
    tx: Transaction, feedback_id: str, values: dict[str, Any], task: TaskView | None
) -> FeedbackView:
    """Change a stored feedback's value, weight or metadata and raise FeedbackSubmitted."""
    row = (
        tx.conn.execute(
            update(FEEDBACK)
            .where(FEEDBACK.c.id == feedback_id)
            .values(values)
            .returning(*FEEDBACK.c)
        )
        .mappings()
        .one()
    )
    view = FeedbackView.from_row(row)
    tx.emit(FeedbackSubmitted(view, task))
    return view


# --- Feedback links --------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredLink:
    token_hash: str
    task_id: str
    key: str
    via: str
    expires_time: int
    used_time: int | None
    feedback_id: str | None


def add_link(
    tx: Transaction,
    *,
    token_hash: str,
    task_id: str,
    key: str,
    via: str,
    created_by: str,
    expires_time: int,
) -> None:
    tx.conn.execute(
        insert(TOKENS).values(
            token_hash=token_hash,
            task_id=task_id,
            key=key,
            via=via,
            created_by=created_by,
            created_time=now_ms(),
            expires_time=expires_time,
        )
    )


def get_link(conn: Connection, token_hash: str) -> StoredLink | None:
    row = conn.execute(select(TOKENS).where(TOKENS.c.token_hash == token_hash)).mappings().first()
    if row is None:
        return None
    return StoredLink(
        row["token_hash"],
        row["task_id"],
        row["key"],
        row["via"],
        row["expires_time"],
        row["used_time"],
        row["feedback_id"],
    )


def claim_link(tx: Transaction, token_hash: str, *, now: int) -> bool:
    """Mark the link used, unless someone else just did: one conditional UPDATE decides."""
    claimed = tx.conn.execute(
        update(TOKENS)
        .where(TOKENS.c.token_hash == token_hash, TOKENS.c.used_time.is_(None))
        .values(used_time=now)
    )
    return claimed.rowcount == 1


def link_answered(tx: Transaction, token_hash: str, feedback_id: str) -> None:
    tx.conn.execute(
        update(TOKENS).where(TOKENS.c.token_hash == token_hash).values(feedback_id=feedback_id)
    )
