"""SQL for console sessions: open one at sign-in, read it on every console request (one
primary-key lookup), end it at sign-out. Expired and ended rows go with data retention."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, delete, insert, or_, select, update

from app.db.models import CONSOLE_SESSIONS as SESSIONS
from app.db.writer import Transaction


@dataclass(frozen=True)
class StoredSession:
    key_name: str
    key_fingerprint: str
    expires_time: int


_INSERT = insert(SESSIONS)
_LIVE = select(SESSIONS.c.key_name, SESSIONS.c.key_fingerprint, SESSIONS.c.expires_time).where(
    SESSIONS.c.id_hash == bindparam("b_hash"),
    SESSIONS.c.ended_time.is_(None),
    SESSIONS.c.expires_time > bindparam("b_now"),
)
_END = update(SESSIONS).where(
    SESSIONS.c.id_hash == bindparam("b_hash"), SESSIONS.c.ended_time.is_(None)
)


def open_session(
    tx: Transaction,
    *,
    id_hash: str,
    key_name: str,
    key_fingerprint: str,
    now: int,
    expires_time: int,
    created_by: str,
) -> None:
    tx.conn.execute(
        _INSERT,
        {
            "id_hash": id_hash,
            "key_name": key_name,
            "key_fingerprint": key_fingerprint,
            "created_time": now,
            "expires_time": expires_time,
            "created_by": created_by,
        },
    )


def live_session(conn: Connection, id_hash: str, *, now: int) -> StoredSession | None:
    """The session, unless it is unknown, ended or expired."""
    row = conn.execute(_LIVE, {"b_hash": id_hash, "b_now": now}).first()
    return StoredSession(*row) if row is not None else None


def end_session(tx: Transaction, id_hash: str, *, now: int) -> bool:
    """Mark the session ended; False if it was unknown or already ended."""
    return tx.conn.execute(_END, {"b_hash": id_hash, "ended_time": now}).rowcount == 1


def delete_over(tx: Transaction, *, now: int, limit: int) -> int:
    """Delete up to `limit` sessions that are over: signed out, or past their end. Neither opens
    anything any more (an unknown session is refused like an ended one)."""
    over = or_(SESSIONS.c.ended_time.is_not(None), SESSIONS.c.expires_time <= now)
    hashes = list(tx.conn.scalars(select(SESSIONS.c.id_hash).where(over).limit(limit)).all())
    if hashes:
        tx.conn.execute(delete(SESSIONS).where(SESSIONS.c.id_hash.in_(hashes)))
    return len(hashes)
