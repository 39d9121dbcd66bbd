"""SQL for the datasets: the rated replies that make a line, a keyset page at a time in the
feedback export's order (newest first), and every turn of the chats a page touches."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, select, tuple_

from app.db.models import FEEDBACK, TASKS
from app.feedback.listing import FeedbackFilter

Cursor = tuple[int, str]  # the last row's (created_time, feedback id)


@dataclass(frozen=True)
class RatedReply:
    """A feedback row that makes a line: its reply, and for a pair the other answer to the
    same message with its (opposite) feedback."""

    feedback_id: str
    created_time: int
    rating: str
    task_id: str
    session_id: str
    other_feedback_id: str | None = None
    other_task_id: str | None = None

    @property
    def cursor(self) -> Cursor:
        return (self.created_time, self.feedback_id)


@dataclass(frozen=True)
class ChatTurn:
    id: str
    status: str
    request_text: str
    response_text: str
    start_time: int
    retry_of: str | None
    agent_type: str | None


_OTHER_TASK = TASKS.alias("retried")
_OTHER_FEEDBACK = FEEDBACK.alias("retried_feedback")
_ORDER = (FEEDBACK.c.created_time.desc(), FEEDBACK.c.id.desc())


def _page(
    query: Select[tuple[object, ...]], where: FeedbackFilter, after: Cursor | None
) -> Select[tuple[object, ...]]:
    clauses = where.clauses()
    if after is not None:
        clauses.append(tuple_(FEEDBACK.c.created_time, FEEDBACK.c.id) < tuple_(*after))
    return query.where(*clauses).order_by(*_ORDER)


def liked_replies(
    conn: Connection, *, where: FeedbackFilter, after: Cursor | None, size: int
) -> list[RatedReply]:
    """Completed replies rated up, the supervised examples' final answers."""
    c, t = FEEDBACK.c, TASKS.c
    query = (
        select(c.id, c.created_time, c.rating, t.id, t.session_id)
        .select_from(FEEDBACK.join(TASKS, t.id == c.task_id))
        .where(c.rating == "up", t.status == "completed")
    )
    rows = conn.execute(_page(query, where, after).limit(size)).all()
    return [_reply(row) for row in rows]


def retry_pairs(
    conn: Connection, *, where: FeedbackFilter, after: Cursor | None, size: int
) -> list[RatedReply]:
    """Retries rated one way whose retried turn was rated the other way, both completed: a
    pair is selected (and filtered) by the feedback on the retry, the newer answer."""
    c, t = FEEDBACK.c, TASKS.c
    other, other_fb = _OTHER_TASK.c, _OTHER_FEEDBACK.c
    query = (
        select(c.id, c.created_time, c.rating, t.id, t.session_id, other_fb.id, other.id)
        .select_from(
            FEEDBACK.join(TASKS, t.id == c.task_id)
            .join(_OTHER_TASK, other.id == t.retry_of)
            .join(_OTHER_FEEDBACK, other_fb.task_id == other.id)
        )
        .where(
            c.rating.in_(("up", "down")),
            other_fb.rating.in_(("up", "down")),
            other_fb.rating != c.rating,
            t.status == "completed",
            other.status == "completed",
            other.session_id == t.session_id,
        )
    )
    rows = conn.execute(_page(query, where, after).limit(size)).all()
    return [_reply(row) for row in rows]


def chat_turns(conn: Connection, session_ids: Iterable[str]) -> dict[str, list[ChatTurn]]:
    """Every turn of these chats, oldest first, by chat."""
    t = TASKS.c
    query = (
        select(
            t.session_id,
            t.id,
            t.status,
            t.request_text,
            t.response_text,
            t.start_time,
            t.retry_of,
            t.agent_type,
        )
        .where(t.session_id.in_(sorted(set(session_ids))))
        .order_by(t.session_id, t.start_time, t.id)
    )
    chats: dict[str, list[ChatTurn]] = {}
    for row in conn.execute(query):
        chats.setdefault(row[0], []).append(_turn(row))
    return chats


def _reply(row: Any) -> RatedReply:
    return RatedReply(*row)


def _turn(row: Any) -> ChatTurn:
    _, task_id, status, request, response, start, retry_of, agent_type = row
    return ChatTurn(
        id=str(task_id),
        status=str(status),
        request_text=str(request),
        response_text=str(response or ""),
        start_time=int(start),
        retry_of=None if retry_of is None else str(retry_of),
        agent_type=None if agent_type is None else str(agent_type),
    )
