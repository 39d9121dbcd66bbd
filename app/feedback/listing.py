"""The read side of feedback: the filtered listing and the satisfaction summary (SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, select

from app.db.models import FEEDBACK
from app.events.snapshots import feedback_json
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
        ):
            if wanted is not None:
                clauses.append(column == wanted)
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
    rows = [feedback_json(row) for row in conn.execute(query).mappings()]
    return rows, int(total or 0)


def summarize(conn: Connection, *, where: FeedbackFilter) -> list[dict[str, Any]]:
    """Per key: how many, thumbs up and down, and the mean and weight-weighted mean score."""
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
    return [
        {
            "key": key,
            "count": count,
            "up": int(up or 0),
            "down": int(down or 0),
            "mean_score": None if mean is None else round(float(mean), 6),
            "weighted_mean_score": round(float(total) / float(weights), 6) if weights else None,
        }
        for key, count, up, down, mean, total, weights in conn.execute(query).all()
    ]
