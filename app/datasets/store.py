"""SQL for the datasets: the rated (and corrected) replies that make a line, a keyset page at a
time in the feedback export's order (newest first), and every turn of the chats a page
touches.

A reviewer's decision counts: a rating whose feedback was dismissed makes no line (it is not
the signal it seemed), and a corrected answer makes one whatever the rating."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, FromClause, Select, and_, or_, select, tuple_

from app.db.models import FEEDBACK, TASKS
from app.feedback.listing import FeedbackFilter

Cursor = tuple[int, str]  # the last row's (created_time, feedback id)


@dataclass(frozen=True)
class RatedReply:
    """A feedback row that makes a line: its reply, its rating and the corrected answer a
    reviewer wrote for it, and for a retry pair the other answer to the same message with its
    (opposite) feedback."""

    feedback_id: str
    created_time: int
    rating: str | None
    task_id: str
    session_id: str
    other_feedback_id: str | None = None
    other_task_id: str | None = None
    correction: str | None = None
    review_status: str = "open"

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
_REPLY = (
    FEEDBACK.c.id,
    FEEDBACK.c.created_time,
    FEEDBACK.c.rating,
    TASKS.c.id,
    TASKS.c.session_id,
)
_REVIEW = (FEEDBACK.c.correction, FEEDBACK.c.review_status)


def _corrected() -> ColumnElement[bool]:
    return and_(FEEDBACK.c.correction.is_not(None), FEEDBACK.c.correction != "")


def _standing(feedback: FromClause) -> ColumnElement[bool]:
    """A rating no reviewer dismissed."""
    standing: ColumnElement[bool] = feedback.c.review_status != "dismissed"
    return standing


def _page(
    query: Select[tuple[object, ...]], where: FeedbackFilter, after: Cursor | None
) -> Select[tuple[object, ...]]:
    clauses = where.clauses()
    if after is not None:
        clauses.append(tuple_(FEEDBACK.c.created_time, FEEDBACK.c.id) < tuple_(*after))
    return query.where(*clauses).order_by(*_ORDER)


def examples(
    conn: Connection, *, where: FeedbackFilter, after: Cursor | None, size: int
) -> list[RatedReply]:
    """The supervised examples' replies: a corrected one (any rating, any status: the
    correction is the answer), or a completed one rated up that no reviewer dismissed."""
    c, t = FEEDBACK.c, TASKS.c
    liked = and_(c.rating == "up", t.status == "completed", _standing(FEEDBACK))
    query = (
        select(*_REPLY, *_REVIEW)
        .select_from(FEEDBACK.join(TASKS, t.id == c.task_id))
        .where(or_(_corrected(), liked))
    )
    rows = conn.execute(_page(query, where, after).limit(size)).all()
    return [_reply(row, paired=False) for row in rows]


def preference_rows(
    conn: Connection, *, where: FeedbackFilter, after: Cursor | None, size: int
) -> list[RatedReply]:
    """The feedback that makes a pair: a completed retry rated one way whose retried,
    completed turn was rated the other way on the same key (a pair is selected, and filtered,
    by the feedback on the retry, the newer answer), neither rating dismissed; or a reply
    rated down that a reviewer corrected. One row can be both."""
    c, t = FEEDBACK.c, TASKS.c
    other, other_fb = _OTHER_TASK.c, _OTHER_FEEDBACK.c
    retried = and_(
        other.id == t.retry_of, other.status == "completed", other.session_id == t.session_id
    )
    opposite = and_(
        other_fb.task_id == other.id,
        other_fb.key == c.key,
        other_fb.rating.in_(("up", "down")),
        other_fb.rating != c.rating,
        _standing(_OTHER_FEEDBACK),
    )
    paired = and_(other_fb.id.is_not(None), t.status == "completed", _standing(FEEDBACK))
    query = (
        select(*_REPLY, *_REVIEW, other_fb.id, other.id)
        .select_from(
            FEEDBACK.join(TASKS, t.id == c.task_id)
            .outerjoin(_OTHER_TASK, retried)
            .outerjoin(_OTHER_FEEDBACK, opposite)
        )
        .where(c.rating.in_(("up", "down")), or_(paired, and_(c.rating == "down", _corrected())))
    )
    rows = conn.execute(_page(query, where, after).limit(size)).all()
    return [_reply(row, paired=True) for row in rows]


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


def _reply(row: Any, *, paired: bool) -> RatedReply:
    feedback_id, created, rating, task_id, session_id, correction, status, *other = row
    other_feedback, other_task = other if paired else (None, None)
    return RatedReply(
        feedback_id=str(feedback_id),
        created_time=int(created),
        rating=rating,
        task_id=str(task_id),
        session_id=str(session_id),
        other_feedback_id=other_feedback,
        other_task_id=other_task,
        correction=correction,
        review_status=str(status),
    )


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
