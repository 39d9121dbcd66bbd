from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import iso_ms, now_ms
from app.errors import APIError, conflict, not_found
from app.models import Feedback, Task

THUMBS_KEY = "thumbs"


def already_submitted(target_kind: str = "task") -> APIError:
    where = "this conversation" if target_kind == "session" else "this response"
    return conflict(
        f"Feedback has already been submitted for {where}.", "feedback_already_submitted"
    )


async def find_task(session: AsyncSession, reference: str) -> Task | None:
    """A task by its id, or by the trace id (OTel trace, Trodo run) recorded on it."""
    task = await session.get(Task, reference)
    if task is None:
        task = await session.scalar(select(Task).where(Task.trace_id == reference))
    return task


@dataclass(frozen=True)
class NewFeedback:
    """A judged submission, ready to store on a task or a whole session."""

    key: str
    exclusive: bool
    user_id: str
    session_id: str
    task: Task | None
    score: float | None = None
    label: str | None = None
    rating: str | None = None
    comment: str | None = None
    weight: float = 1.0
    source: str = "customer"
    via: str = "widget"
    metadata: dict[str, Any] = field(default_factory=dict)
    organisation: str | None = None
    prompt: str | None = None
    environment: str | None = None
    event_time: int | None = None
    feedback_id: str | None = None
    # Lock the task's controls even without a thumbs rating (a redeemed feedback link does).
    marks_task: bool = False


async def add_feedback(session: AsyncSession, new: NewFeedback) -> Feedback:
    """Store one submission. The database's unique indexes decide every race."""
    target_kind = "task" if new.task is not None else "session"
    if new.feedback_id is not None and await session.get(Feedback, new.feedback_id) is not None:
        raise conflict(f"Feedback with ID '{new.feedback_id}' already exists.", "feedback_exists")
    row = Feedback(
        id=new.feedback_id or str(uuid.uuid4()),
        task_id=new.task.id if new.task is not None else None,
        session_id=new.session_id,
        target_kind=target_kind,
        target_id=new.task.id if new.task is not None else new.session_id,
        user_id=new.user_id,
        agent_id=new.task.agent_id if new.task is not None else None,
        key=new.key,
        exclusive=new.exclusive,
        rating=new.rating,
        score=new.score,
        label=new.label,
        comment=new.comment or None,
        weight=new.weight,
        source=new.source,
        via=new.via,
        organisation=new.organisation,
        prompt=new.prompt,
        environment=new.environment,
        metadata_=new.metadata,
        created_time=now_ms(),
        event_time=new.event_time,
    )
    session.add(row)
    task = new.task
    if task is not None and task.feedback_state is None and (new.rating or new.marks_task):
        task.metadata_ = {**(task.metadata_ or {}), "feedback": feedback_state(row)}
    try:
        await session.flush()
    except IntegrityError:
        # Another request (tab, process, dialect) won the race; a unique index decided.
        raise already_submitted(target_kind) from None
    return row


def feedback_state(row: Feedback) -> dict[str, Any]:
    """What a task's metadata says once feedback is in: SAM's fields plus VoltAgent's."""
    return {
        "type": row.rating,
        "text": row.comment,
        "submitted": True,
        "id": row.id,
        "key": row.key,
        "provided": True,
        "providedAt": iso_ms(row.created_time),
        "feedbackId": row.id,
    }


async def submit_thumbs(
    session: AsyncSession,
    *,
    task_id: str,
    session_id: str,
    user_id: str,
    rating: str,
    comment: str | None,
    source: str = "customer",
    via: str = "widget",
) -> tuple[Feedback, Task]:
    """Store the one thumbs feedback a completed task may receive and mark it on the task."""
    task = await session.get(Task, task_id)
    if task is None or task.user_id != user_id:
        raise not_found(f"Task with ID '{task_id}' not found.", "task_not_found")
    if task.session_id != session_id:
        raise not_found(
            f"Task with ID '{task_id}' does not belong to session '{session_id}'.",
            "task_not_in_session",
        )
    require_completed(task)
    if task.feedback_state is not None:
        raise already_submitted()
    row = await add_feedback(
        session,
        NewFeedback(
            key=THUMBS_KEY,
            exclusive=True,
            user_id=user_id,
            session_id=task.session_id,
            task=task,
            score=1.0 if rating == "up" else 0.0,
            rating=rating,
            comment=comment,
            source=source,
            via=via,
        ),
    )
    return row, task


def require_completed(task: Task) -> None:
    if task.status != "completed":
        raise conflict(
            f"Task '{task.id}' is {task.status}; feedback is accepted only for completed tasks.",
            "task_not_completed",
        )


@dataclass(frozen=True)
class FeedbackFilter:
    user_id: str | None
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
        clauses: list[ColumnElement[bool]] = []
        if self.user_id is not None:
            clauses.append(Feedback.user_id == self.user_id)
        if self.start_ms is not None:
            clauses.append(Feedback.created_time >= self.start_ms)
        if self.end_ms is not None:
            clauses.append(Feedback.created_time <= self.end_ms)
        if self.task_id is not None:
            clauses.append(Feedback.task_id == self.task_id)
        if self.session_id is not None:
            clauses.append(Feedback.session_id == self.session_id)
        if self.rating is not None:
            clauses.append(Feedback.rating == self.rating)
        for column, wanted in (
            (Feedback.key, self.key),
            (Feedback.source, self.source),
            (Feedback.organisation, self.organisation),
            (Feedback.prompt, self.prompt),
            (Feedback.environment, self.environment),
        ):
            if wanted is not None:
                clauses.append(column == wanted)
        return clauses


async def list_feedback(
    session: AsyncSession, *, where: FeedbackFilter, page: int, page_size: int
) -> tuple[list[Feedback], int]:
    """One page of feedback, newest first, and the total number of matching rows."""
    clauses = where.clauses()
    total = await session.scalar(select(func.count()).select_from(Feedback).where(*clauses))
    query = (
        select(Feedback)
        .where(*clauses)
        .order_by(Feedback.created_time.desc(), Feedback.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list((await session.scalars(query)).all()), int(total or 0)


async def summarize(session: AsyncSession, *, where: FeedbackFilter) -> list[dict[str, Any]]:
    """Per key: how many, thumbs up and down, and the mean and weight-weighted mean score."""
    scored = Feedback.score.is_not(None)
    weighted_sum = func.sum(case((scored, Feedback.score * Feedback.weight), else_=0))
    weight_sum = func.sum(case((scored, Feedback.weight), else_=0))
    query = (
        select(
            Feedback.key,
            func.count(),
            func.sum(case((Feedback.rating == "up", 1), else_=0)),
            func.sum(case((Feedback.rating == "down", 1), else_=0)),
            func.avg(Feedback.score),
            weighted_sum,
            weight_sum,
        )
        .where(*where.clauses())
        .group_by(Feedback.key)
        .order_by(Feedback.key)
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
        for key, count, up, down, mean, total, weights in (await session.execute(query)).all()
    ]
