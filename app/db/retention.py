"""Scheduled deletion of old feedback, tasks (with their events), delivered outbox rows, and
console sessions that are over (ended or expired).

Each batch is its own transaction, so a long cleanup never holds one big lock. Feedback and
tasks age independently: feedback outlives a deleted task with its task link cleared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, delete, insert, or_, select, update

from app.clock import now_ms
from app.config.publishing import DataRetentionSettings
from app.db.models import (
    CONSOLE_SESSIONS,
    SCHEDULED_JOBS,
    Feedback,
    OutboxEvent,
    Task,
    TaskEvent,
)
from app.events.transaction import Writer

log = logging.getLogger("feedback_widget.retention")
DAY_MS = 86_400_000


@dataclass(frozen=True)
class RetentionCounts:
    feedback: int
    tasks: int
    outbox: int
    console_sessions: int = 0

    def __str__(self) -> str:
        return (
            f"deleted {self.feedback} feedback, {self.tasks} tasks, "
            f"{self.outbox} delivered outbox events, {self.console_sessions} console sessions"
        )


def _delete_feedback(conn: Connection, cutoff: int, limit: int) -> int:
    ids = list(
        conn.scalars(select(Feedback.id).where(Feedback.created_time < cutoff).limit(limit)).all()
    )
    if ids:
        conn.execute(delete(Feedback).where(Feedback.id.in_(ids)))
    return len(ids)


def _delete_tasks(conn: Connection, cutoff: int, limit: int) -> int:
    ids = list(conn.scalars(select(Task.id).where(Task.start_time < cutoff).limit(limit)).all())
    if ids:
        conn.execute(update(Feedback).where(Feedback.task_id.in_(ids)).values(task_id=None))
        conn.execute(delete(TaskEvent).where(TaskEvent.task_id.in_(ids)))
        conn.execute(delete(Task).where(Task.id.in_(ids)))
    return len(ids)


def _delete_outbox(conn: Connection, cutoff: int, limit: int) -> int:
    """Delivered events only: an undelivered one is never deleted."""
    seqs = list(
        conn.scalars(
            select(OutboxEvent.seq)
            .where(OutboxEvent.delivered_time.is_not(None), OutboxEvent.delivered_time < cutoff)
            .limit(limit)
        ).all()
    )
    if seqs:
        conn.execute(delete(OutboxEvent).where(OutboxEvent.seq.in_(seqs)))
    return len(seqs)


def _delete_console_sessions(conn: Connection, now: int, limit: int) -> int:
    """Sessions that are over: signed out, or past their end. Neither opens anything any more
    (an unknown session is refused like an ended one), so they need not wait for a cutoff."""
    over = or_(CONSOLE_SESSIONS.c.ended_time.is_not(None), CONSOLE_SESSIONS.c.expires_time <= now)
    hashes = list(conn.scalars(select(CONSOLE_SESSIONS.c.id_hash).where(over).limit(limit)).all())
    if hashes:
        conn.execute(delete(CONSOLE_SESSIONS).where(CONSOLE_SESSIONS.c.id_hash.in_(hashes)))
    return len(hashes)


BatchStep = Callable[[Connection, int, int], int]


async def _in_batches(writer: Writer, step: BatchStep, cutoff: int, batch_size: int) -> int:
    """Repeat one-transaction batches until a short batch says nothing is left."""
    total = 0
    while True:
        deleted = await writer.run(lambda tx: step(tx.conn, cutoff, batch_size))
        total += deleted
        if deleted < batch_size:
            return total


async def run_retention(
    writer: Writer, settings: DataRetentionSettings, *, now: int | None = None
) -> RetentionCounts:
    """One cleanup pass. Deletes nothing when retention is disabled."""
    if not settings.enabled:
        return RetentionCounts(0, 0, 0, 0)
    now = now_ms() if now is None else now
    feedback_cutoff = now - settings.feedback_retention_days * DAY_MS
    task_cutoff = now - settings.task_retention_days * DAY_MS
    size = settings.batch_size
    return RetentionCounts(
        feedback=await _in_batches(writer, _delete_feedback, feedback_cutoff, size),
        tasks=await _in_batches(writer, _delete_tasks, task_cutoff, size),
        outbox=await _in_batches(writer, _delete_outbox, feedback_cutoff, size),
        console_sessions=await _in_batches(writer, _delete_console_sessions, now, size),
    )


JOB = "data-retention"
# A pass is due when the last one, by any instance, is older than this share of the interval,
# so instances started at different moments still run one pass an interval between them.
DUE_AFTER_SHARE = 0.9


def _claim_if_due(conn: Connection, *, now: int, interval_ms: int, instance: str) -> bool:
    """Record that `instance` runs the pass now, unless one ran within the interval."""
    last = conn.scalar(select(SCHEDULED_JOBS.c.last_run_ms).where(SCHEDULED_JOBS.c.name == JOB))
    if last is not None and now - last < interval_ms * DUE_AFTER_SHARE:
        return False
    values = {"last_run_ms": now, "ran_by": instance}
    if last is None:
        conn.execute(insert(SCHEDULED_JOBS).values(name=JOB, **values))
    else:
        conn.execute(update(SCHEDULED_JOBS).where(SCHEDULED_JOBS.c.name == JOB).values(values))
    return True


async def run_due_pass(
    writer: Writer, settings: DataRetentionSettings, *, instance: str
) -> RetentionCounts | None:
    """The pass, if it is due and no other instance is running it (or just ran it)."""
    interval_ms = int(settings.cleanup_interval_hours * 3_600_000)
    async with writer.db.exclusive(JOB) as ours:
        if not ours:
            log.debug("data retention: another instance is running this pass; skipped")
            return None
        due = await writer.run(
            lambda tx: _claim_if_due(
                tx.conn, now=now_ms(), interval_ms=interval_ms, instance=instance
            )
        )
        if not due:
            log.debug("data retention: another instance ran this pass recently; skipped")
            return None
        return await run_retention(writer, settings)


async def retention_loop(writer: Writer, settings: DataRetentionSettings, *, instance: str) -> None:
    """A pass now (if due) and then every cleanup interval, by one instance of however many
    share the database; failures are logged, never raised."""
    while True:
        try:
            counts = await run_due_pass(writer, settings, instance=instance)
            if counts is not None:
                log.info("data retention pass: %s", counts)
        except Exception:
            log.exception("data retention pass failed; will try again next interval")
        await asyncio.sleep(settings.cleanup_interval_hours * 3600)
