"""SQL for feedback links: only a hash of each secret is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from app.clock import now_ms
from app.db.models import FEEDBACK_TOKENS as TOKENS
from app.db.writer import Transaction


@dataclass(frozen=True)
class StoredLink:
    token_hash: str
    task_id: str | None  # None until a task with `trace_id` arrives
    trace_id: str | None
    key: str
    via: str
    source: str
    expires_time: int
    used_time: int | None
    feedback_id: str | None


_INSERT = insert(TOKENS)
_GET = select(
    TOKENS.c.token_hash, TOKENS.c.task_id, TOKENS.c.trace_id, TOKENS.c.key, TOKENS.c.via,
    TOKENS.c.source, TOKENS.c.expires_time, TOKENS.c.used_time, TOKENS.c.feedback_id,
).where(TOKENS.c.token_hash == bindparam("b_hash"))  # fmt: skip
_WAITING = (TOKENS.c.trace_id == bindparam("b_trace"), TOKENS.c.task_id.is_(None))
_ANSWERS_FOR_TRACE = select(TOKENS.c.feedback_id).where(
    TOKENS.c.trace_id == bindparam("b_trace"), TOKENS.c.feedback_id.is_not(None)
)
_BIND_WAITING = update(TOKENS).where(*_WAITING)
_CLAIM = update(TOKENS).where(
    TOKENS.c.token_hash == bindparam("b_hash"), TOKENS.c.used_time.is_(None)
)
_ANSWERED = update(TOKENS).where(TOKENS.c.token_hash == bindparam("b_hash"))


def add_link(
    tx: Transaction,
    *,
    token_hash: str,
    task_id: str | None,
    trace_id: str | None,
    key: str,
    via: str,
    source: str,
    created_by: str,
    expires_time: int,
) -> None:
    tx.conn.execute(
        _INSERT,
        {
            "token_hash": token_hash,
            "task_id": task_id,
            "trace_id": trace_id,
            "key": key,
            "via": via,
            "source": source,
            "created_by": created_by,
            "created_time": now_ms(),
            "expires_time": expires_time,
        },
    )


def get_link(conn: Connection, token_hash: str) -> StoredLink | None:
    row = conn.execute(_GET, {"b_hash": token_hash}).first()
    return StoredLink(*row) if row is not None else None


def bind_waiting_links(tx: Transaction, trace_id: str, task_id: str) -> None:
    """Bind the links waiting for this trace to the task that arrived with it."""
    tx.conn.execute(_BIND_WAITING, {"b_trace": trace_id, "task_id": task_id})


def answers_for_trace(conn: Connection, trace_id: str) -> set[str]:
    """The feedback ids given through the links of this trace."""
    answered = conn.scalars(_ANSWERS_FOR_TRACE, {"b_trace": trace_id})
    return {feedback_id for feedback_id in answered if feedback_id}


def claim_link(tx: Transaction, token_hash: str, *, now: int) -> bool:
    """Mark the link used, unless someone else just did: one conditional UPDATE decides."""
    claimed = tx.conn.execute(_CLAIM, {"b_hash": token_hash, "used_time": now})
    return claimed.rowcount == 1


def link_answered(tx: Transaction, token_hash: str, feedback_id: str) -> None:
    tx.conn.execute(_ANSWERED, {"b_hash": token_hash, "feedback_id": feedback_id})
