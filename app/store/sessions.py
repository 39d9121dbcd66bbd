from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import now_ms
from app.errors import conflict
from app.models import ChatSession


def new_id() -> str:
    return str(uuid.uuid4())


async def create_session(
    session: AsyncSession,
    *,
    user_id: str,
    session_id: str | None = None,
    title: str | None = None,
    agent_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> ChatSession:
    row = ChatSession(
        id=session_id or new_id(),
        user_id=user_id,
        agent_id=agent_id,
        title=title,
        created_at=now_ms(),
        metadata_=metadata or {},
    )
    if session_id is not None and await session.get(ChatSession, session_id) is not None:
        raise conflict(f"A session with ID '{session_id}' already exists.", "session_exists")
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise conflict(f"A session with ID '{row.id}' already exists.", "session_exists") from None
    return row


async def get_owned_session(
    session: AsyncSession, *, session_id: str, user_id: str
) -> ChatSession | None:
    """The session if it exists and belongs to the user; other users' sessions do not exist."""
    row = await session.get(ChatSession, session_id)
    if row is None or row.user_id != user_id:
        return None
    return row


async def list_recent_sessions(
    session: AsyncSession, *, user_id: str, limit: int = 20
) -> list[ChatSession]:
    query = (
        select(ChatSession)
        .where(ChatSession.user_id == user_id)
        .order_by(ChatSession.created_at.desc(), ChatSession.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())
