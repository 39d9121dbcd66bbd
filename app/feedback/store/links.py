"""SQL for feedback links: only a hash of each secret is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from app.clock import now_ms
from app.db.models import FEEDBACK_TOKENS as TOKENS
from app.events.transaction import Transaction


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
        insert(TOKENS).values(
            token_hash=token_hash,
            task_id=task_id,
            trace_id=trace_id,
            key=key,
            via=via,
            source=source,
            created_by=created_by,
            created_time=now_ms(),
            expires_time=expires_time,
        )
    )


def get_link(conn: Connection, token_hash: str) -> StoredLink | None:
    c = TOKENS.c
    query = select(
        c.token_hash, c.task_id, c.trace_id, c.key, c.via, c.source, c.expires_time,
        c.used_time, c.feedback_id,
    ).where(c.token_hash == token_hash)  # fmt: skip
    row = conn.execute(query).first()
    return StoredLink(*row) if row is not None else None


def attach_links(tx: Transaction, trace_id: str, task_id: str) -> set[str]:
    """Bind the links waiting for this trace to its task; the feedback ids they answered."""
    c = TOKENS.c
    waiting = (c.trace_id == trace_id, c.task_id.is_(None))
    answered = tx.conn.scalars(select(c.feedback_id).where(*waiting, c.feedback_id.is_not(None)))
    found = {feedback_id for feedback_id in answered if feedback_id}
    tx.conn.execute(update(TOKENS).where(*waiting).values(task_id=task_id))
    return found


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
