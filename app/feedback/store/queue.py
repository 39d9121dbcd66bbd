"""The review queue's reads (SQL): which feedback needs a look (`config.review`), a page of
it in arrival order, counts per status, and an item's neighbours for next/previous.

Membership is a rule over the row (its source, rating and comment), judged when read: a change
to `config.review` applies to every feedback already stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Connection, false, func, or_, select, tuple_

from app.config.review import ReviewSettings
from app.db.models import FEEDBACK, FEEDBACK_REVIEW_LABELS
from app.feedback.model import FeedbackView
from app.feedback.review import REVIEW_STATUSES, ReviewStatus

Cursor = tuple[int, str]  # (created_time, feedback id)


@dataclass(frozen=True)
class QueueFilter:
    status: ReviewStatus | None = "open"  # None: every status
    label: str | None = None
    agent_id: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None


def entry_clauses(settings: ReviewSettings) -> list[ColumnElement[bool]]:
    """What makes a feedback an item of the queue at all, whatever its status."""
    c = FEEDBACK.c
    enters = []
    if settings.ratings:
        enters.append(c.rating.in_(settings.ratings))
    if settings.comments:
        enters.append(c.comment.is_not(None))
    return [c.source.in_(settings.sources), or_(*enters) if enters else false()]


def queue_clauses(settings: ReviewSettings, where: QueueFilter) -> list[ColumnElement[bool]]:
    return [*entry_clauses(settings), *filter_clauses(where)]


def filter_clauses(where: QueueFilter) -> list[ColumnElement[bool]]:
    """What the view asks for beyond the entry rule: a status, a label, what was rated, when."""
    c = FEEDBACK.c
    clauses: list[ColumnElement[bool]] = []
    if where.status is not None:
        clauses.append(c.review_status == where.status)
    for column, wanted in (
        (c.agent_id, where.agent_id),
        (c.model, where.model),
        (c.prompt_version, where.prompt_version),
    ):
        if wanted is not None:
            clauses.append(column == wanted)
    if where.start_ms is not None:
        clauses.append(c.created_time >= where.start_ms)
    if where.end_ms is not None:
        clauses.append(c.created_time <= where.end_ms)
    if where.label is not None:
        labelled = select(FEEDBACK_REVIEW_LABELS.c.feedback_id).where(
            FEEDBACK_REVIEW_LABELS.c.label == where.label
        )
        clauses.append(c.id.in_(labelled))
    return clauses


def queue_page(
    conn: Connection,
    settings: ReviewSettings,
    where: QueueFilter,
    *,
    after: Cursor | None,
    size: int,
) -> list[FeedbackView]:
    """The next `size` items after `after`, oldest first: a queue is worked in arrival order."""
    c = FEEDBACK.c
    clauses = queue_clauses(settings, where)
    if after is not None:
        clauses.append(tuple_(c.created_time, c.id) > tuple_(*after))
    query = select(FEEDBACK).where(*clauses).order_by(c.created_time, c.id).limit(size)
    return [FeedbackView.from_row(row) for row in conn.execute(query).mappings()]


def status_counts(conn: Connection, settings: ReviewSettings, where: QueueFilter) -> dict[str, int]:
    """How many items each status holds under the other filters (every status named).

    Counted in two parts, which add up to the entry rule's OR: the rated items, then the
    commented ones not already counted. Each part reads one index alone when no other filter
    is set (150 ms at 100,000 rows on SQLite as one query with the OR, which looks up every
    row; a few ms now)."""
    c = FEEDBACK.c
    others = filter_clauses(replace(where, status=None))
    parts: list[list[ColumnElement[bool]]] = []
    if settings.ratings:
        parts.append([c.rating.in_(settings.ratings)])
    if settings.comments:
        commented: list[ColumnElement[bool]] = [c.comment.is_not(None)]
        if settings.ratings:  # those were counted with the ratings
            commented.append(or_(c.rating.is_(None), c.rating.not_in(settings.ratings)))
        parts.append(commented)
    counts: dict[str, int] = dict.fromkeys(REVIEW_STATUSES, 0)
    for part in parts:
        query = (
            select(c.review_status, func.count())
            .where(c.source.in_(settings.sources), *part, *others)
            .group_by(c.review_status)
        )
        for status, count in conn.execute(query).all():
            counts[status] = counts.get(status, 0) + int(count)
    return counts


def neighbours(
    conn: Connection, settings: ReviewSettings, where: QueueFilter, feedback_id: str
) -> tuple[str | None, str | None]:
    """The items just before and just after this one in the queue's order. The item itself
    need not match the filter any more (it was just reviewed): its position still counts."""
    c = FEEDBACK.c
    position = conn.execute(select(c.created_time, c.id).where(c.id == feedback_id)).first()
    if position is None:
        return None, None
    here = tuple_(c.created_time, c.id)
    clauses = queue_clauses(settings, where)
    before = conn.scalar(
        select(c.id)
        .where(*clauses, here < tuple_(*position))
        .order_by(c.created_time.desc(), c.id.desc())
        .limit(1)
    )
    after = conn.scalar(
        select(c.id)
        .where(*clauses, here > tuple_(*position))
        .order_by(c.created_time, c.id)
        .limit(1)
    )
    return before, after
