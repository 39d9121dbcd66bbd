from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import now_ms
from app.errors import conflict, not_found
from app.models import Feedback, Task

THUMBS_KEY = "thumbs"


async def submit_thumbs(
    session: AsyncSession,
    *,
    task_id: str,
    session_id: str,
    user_id: str,
    rating: str,
    comment: str | None,
    source: str = "customer",
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
    if task.status != "completed":
        raise conflict(
            f"Task '{task_id}' is {task.status}; feedback is accepted only for completed tasks.",
            "task_not_completed",
        )
    already = conflict(
        "Feedback has already been submitted for this response.", "feedback_already_submitted"
    )
    if task.feedback_state is not None:
        raise already
    row = Feedback(
        id=str(uuid.uuid4()),
        task_id=task.id,
        session_id=task.session_id,
        user_id=user_id,
        agent_id=task.agent_id,
        key=THUMBS_KEY,
        rating=rating,
        comment=comment or None,
        weight=1.0,
        source=source,
        metadata_={},
        created_time=now_ms(),
    )
    session.add(row)
    task.metadata_ = {
        **(task.metadata_ or {}),
        "feedback": {"type": rating, "text": comment or None, "submitted": True, "id": row.id},
    }
    try:
        await session.flush()
    except IntegrityError:
        # Another request (tab, process) won the race; the unique constraint decided.
        raise already from None
    return row, task


@dataclass(frozen=True)
class FeedbackFilter:
    user_id: str | None
    start_ms: int | None = None
    end_ms: int | None = None
    task_id: str | None = None
    session_id: str | None = None
    rating: str | None = None

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
