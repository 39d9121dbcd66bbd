"""SQL for chat sessions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.clock import now_ms
from app.db.models import SESSIONS
from app.db.writer import Transaction
from app.errors import APIError, conflict
from app.identity import ReadScope
from app.transcripts.model import SessionView

_GET_SESSION = select(SESSIONS).where(SESSIONS.c.id == bindparam("b_id"))
_INSERT_SESSION = insert(SESSIONS)
_SET_TITLE = update(SESSIONS).where(SESSIONS.c.id == bindparam("b_id"))


def new_id() -> str:
    return str(uuid.uuid4())


def session_exists(session_id: str) -> APIError:
    return conflict(f"A session with ID '{session_id}' already exists.", "session_exists")


def get_session(conn: Connection, session_id: str) -> SessionView | None:
    row = conn.execute(_GET_SESSION, {"b_id": session_id}).mappings().first()
    return SessionView.from_row(row) if row else None


def create_session(
    tx: Transaction,
    *,
    user_id: str,
    session_id: str | None = None,
    title: str | None = None,
    agent_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> SessionView:
    values: dict[str, Any] = {
        "id": session_id or new_id(),
        "user_id": user_id,
        "agent_id": agent_id,
        "title": title,
        "created_at": now_ms(),
        "metadata": metadata or {},
    }
    if session_id is not None and get_session(tx.conn, session_id) is not None:
        raise session_exists(session_id)
    try:
        tx.conn.execute(_INSERT_SESSION, values)
    except IntegrityError:
        raise session_exists(values["id"]) from None
    return SessionView.from_row(values)


def set_title(tx: Transaction, session_id: str, title: str) -> None:
    tx.conn.execute(_SET_TITLE, {"b_id": session_id, "title": title})


def list_recent_sessions(
    conn: Connection, *, scope: ReadScope, limit: int = 20
) -> list[SessionView]:
    """The newest sessions the scope reaches (a `sid` token's: just its own chat)."""
    query = select(SESSIONS)
    if scope.user_id is not None:
        query = query.where(SESSIONS.c.user_id == scope.user_id)
    if scope.session_id is not None:
        query = query.where(SESSIONS.c.id == scope.session_id)
    query = query.order_by(SESSIONS.c.created_at.desc(), SESSIONS.c.id.desc()).limit(limit)
    return [SessionView.from_row(row) for row in conn.execute(query).mappings()]
