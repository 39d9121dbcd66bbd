"""Scheduled deletion of old feedback, tasks (with their events) and delivered outbox rows.

Each batch is its own transaction, so a long cleanup never holds one big lock. Feedback and
tasks age independently: feedback outlives a deleted task with its task link cleared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import now_ms
from app.db import Database
from app.models import Feedback, Task, TaskEvent
from app.publishing import outbox
from app.settings import DataRetentionSettings

log = logging.getLogger("feedback_widget.retention")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class RetentionCounts:
    feedback: int
    tasks: int
    outbox: int

    def __str__(self) -> str:
        return (
            f"deleted {self.feedback} feedback, {self.tasks} tasks, "
            f"{self.outbox} delivered outbox events"
        )


async def _delete_feedback(session: AsyncSession, cutoff: int, limit: int) -> int:
    ids = list(
        (
            await session.scalars(
                select(Feedback.id).where(Feedback.created_time < cutoff).limit(limit)
            )
        ).all()
    )
    if ids:
        await session.execute(delete(Feedback).where(Feedback.id.in_(ids)))
    return len(ids)


async def _delete_tasks(session: AsyncSession, cutoff: int, limit: int) -> int:
    ids = list(
        (await session.scalars(select(Task.id).where(Task.start_time < cutoff).limit(limit))).all()
    )
    if ids:
        await session.execute(
            update(Feedback).where(Feedback.task_id.in_(ids)).values(task_id=None)
        )
        await session.execute(delete(TaskEvent).where(TaskEvent.task_id.in_(ids)))
        await session.execute(delete(Task).where(Task.id.in_(ids)))
    return len(ids)


BatchStep = Callable[[AsyncSession, int, int], Awaitable[int]]


async def _in_batches(db: Database, step: BatchStep, cutoff: int, batch_size: int) -> int:
    """Repeat one-transaction batches until a short batch says nothing is left."""
    total = 0
    while True:
        async with db.write() as session:
            deleted = await step(session, cutoff, batch_size)
        total += deleted
        if deleted < batch_size:
            return total


async def _delete_outbox(session: AsyncSession, cutoff: int, limit: int) -> int:
    return await outbox.delete_delivered_before(session, cutoff=cutoff, limit=limit)


async def run_retention(
    db: Database, settings: DataRetentionSettings, *, now: int | None = None
) -> RetentionCounts:
    """One cleanup pass. Deletes nothing when retention is disabled."""
    if not settings.enabled:
        return RetentionCounts(0, 0, 0)
    now = now_ms() if now is None else now
    feedback_cutoff = now - settings.feedback_retention_days * DAY_MS
    task_cutoff = now - settings.task_retention_days * DAY_MS
    size = settings.batch_size
    return RetentionCounts(
        feedback=await _in_batches(db, _delete_feedback, feedback_cutoff, size),
        tasks=await _in_batches(db, _delete_tasks, task_cutoff, size),
        outbox=await _in_batches(db, _delete_outbox, feedback_cutoff, size),
    )


async def retention_loop(db: Database, settings: DataRetentionSettings) -> None:
    """Run a pass now and then every cleanup interval; failures are logged, never raised."""
    while True:
        try:
            counts = await run_retention(db, settings)
            log.info("data retention pass: %s", counts)
        except Exception:
            log.exception("data retention pass failed; will try again next interval")
        await asyncio.sleep(settings.cleanup_interval_hours * 3600)
