"""The read side of feedback: the filtered listing, the satisfaction summary and the export's
pages (SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, select, tuple_

from app.db.models import FEEDBACK, FEEDBACK_REASONS, FEEDBACK_REVIEW_LABELS
from app.feedback.model import FeedbackView
from app.identity import ReadScope


@dataclass(frozen=True)
class FeedbackFilter:
    scope: ReadScope  # required: whose rows, and which chat's, the caller may read
    start_ms: int | None = None
    end_ms: int | None = None
    task_id: str | None = None
    session_id: str | None = None
    rating: str | None = None
    key: str | None = None
    source: str | None = None
    organisation: str | None = None
    prompt: str | None = None
    environment: str | None = None
    agent_id: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    reason: str | None = None
    review_status: str | None = None  # open, reviewed or dismissed
    review_label: str | None = None  # one label a reviewer attached

    def clauses(self) -> list[ColumnElement[bool]]:
        c = FEEDBACK.c
        clauses: list[ColumnElement[bool]] = []
        if self.scope.user_id is not None:
            clauses.append(c.user_id == self.scope.user_id)
        if self.scope.session_id is not None:
            clauses.append(c.session_id == self.scope.session_id)
        if self.start_ms is not None:
            clauses.append(c.created_time >= self.start_ms)
        if self.end_ms is not None:
            clauses.append(c.created_time <= self.end_ms)
        for column, wanted in (
            (c.task_id, self.task_id),
            (c.session_id, self.session_id),
            (c.rating, self.rating),
            (c.key, self.key),
            (c.source, self.source),
            (c.organisation, self.organisation),
            (c.prompt, self.prompt),
            (c.environment, self.environment),
            (c.agent_id, self.agent_id),
            (c.model, self.model),
            (c.prompt_version, self.prompt_version),
            (c.review_status, self.review_status),
        ):
            if wanted is not None:
                clauses.append(column == wanted)
        if self.reason is not None:
            chosen = select(FEEDBACK_REASONS.c.feedback_id).where(
                FEEDBACK_REASONS.c.reason == self.reason
            )
            clauses.append(c.id.in_(chosen))
        if self.review_label is not None:
            labelled = select(FEEDBACK_REVIEW_LABELS.c.feedback_id).where(
                FEEDBACK_REVIEW_LABELS.c.label == self.review_label
            )
            clauses.append(c.id.in_(labelled))
        return clauses


def list_feedback(
    conn: Connection, *, where: FeedbackFilter, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of feedback in the API's shape, newest first, and how many rows match."""
    clauses = where.clauses()
    total = conn.scalar(select(func.count()).select_from(FEEDBACK).where(*clauses))
    query = (
        select(FEEDBACK)
        .where(*clauses)
        .order_by(FEEDBACK.c.created_time.desc(), FEEDBACK.c.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    rows = [FeedbackView.from_row(row).to_json() for row in conn.execute(query).mappings()]
    return rows, int(total or 0)


def export_page(
    conn: Connection,
    *,
    where: FeedbackFilter,
    after: tuple[int, str] | None,
    size: int,
    newer_than: tuple[int, str] | None = None,
) -> list[dict[str, Any]]:
    """The next `size` rows of an export in the API's shape, newest first, after the row at
    `after` (its created_time and id): keyset paging, so page 1,000 costs what page 1 does.
    With `newer_than`, only rows that came after that one (the console's live feed)."""
    c = FEEDBACK.c
    clauses = where.clauses()
    if after is not None:
        clauses.append(tuple_(c.created_time, c.id) < tuple_(*after))
    if newer_than is not None:
        clauses.append(tuple_(c.created_time, c.id) > tuple_(*newer_than))
    query = select(FEEDBACK).where(*clauses).order_by(c.created_time.desc(), c.id.desc())
    return [
        FeedbackView.from_row(row).to_json() for row in conn.execute(query.limit(size)).mappings()
    ]


def summarize(conn: Connection, *, where: FeedbackFilter) -> list[dict[str, Any]]:
    """Per key: how many, thumbs up and down, the mean and weight-weighted mean score, and
    how often each reason was chosen."""
    c = FEEDBACK.c
    scored = c.score.is_not(None)
    weighted_sum = func.sum(case((scored, c.score * c.weight), else_=0))
    weight_sum = func.sum(case((scored, c.weight), else_=0))
    query = (
        select(
            c.key,
            func.count(),
            func.sum(case((c.rating == "up", 1), else_=0)),
            func.sum(case((c.rating == "down", 1), else_=0)),
            func.avg(c.score),
            weighted_sum,
            weight_sum,
        )
        .where(*where.clauses())
        .group_by(c.key)
        .order_by(c.key)
    )
    reasons = _reason_counts(conn, where)
    return [
        {
            "key": key,
            "count": count,
            "up": int(up or 0),
            "down": int(down or 0),
            "mean_score": None if mean is None else round(float(mean), 6),
            "weighted_mean_score": round(float(total) / float(weights), 6) if weights else None,
            "reasons": reasons.get(key, {}),
        }
        for key, count, up, down, mean, total, weights in conn.execute(query).all()
    ]


def _reason_counts(conn: Connection, where: FeedbackFilter) -> dict[str, dict[str, int]]:
    """Per key, how many of the matching rows chose each reason, most chosen first."""
    r = FEEDBACK_REASONS.c
    query = (
        select(FEEDBACK.c.key, r.reason, func.count())
        .select_from(FEEDBACK_REASONS.join(FEEDBACK, FEEDBACK.c.id == r.feedback_id))
        .where(*where.clauses())
        .group_by(FEEDBACK.c.key, r.reason)
        .order_by(func.count().desc(), r.reason)
    )
    counts: dict[str, dict[str, int]] = {}
    for key, reason, count in conn.execute(query).all():
        counts.setdefault(key, {})[reason] = int(count)
    return counts
