"""Data retention: scheduled deletion of old feedback, old tasks (with their events),
delivered outbox rows, and console sessions that are over. Each aggregate's store deletes its
own rows; this job decides when, and in what batches.

Each batch is its own unit of work, so a long cleanup never holds one big lock. Feedback and
tasks age independently: feedback outlives a deleted task, with its task link cleared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from app.clock import now_ms
from app.config.retention import DataRetentionSettings
from app.console import store as console_sessions
from app.db.schedule import claim_if_due
from app.db.writer import Transaction, Writer
from app.feedback.store import rows as feedback_rows
from app.publishing import outbox
from app.transcripts import store as transcripts

log = logging.getLogger("feedback_widget.retention")
DAY_MS = 86_400_000
JOB = "data-retention"


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


def _delete_feedback(tx: Transaction, *, before: int, limit: int) -> int:
    return feedback_rows.delete_feedback_before(tx, before=before, limit=limit)


def _delete_tasks(tx: Transaction, *, before: int, limit: int) -> int:
    ids = transcripts.old_task_ids(tx.conn, before=before, limit=limit)
    if ids:
        feedback_rows.detach_from_tasks(tx, ids)
        transcripts.delete_tasks(tx, ids)
    return len(ids)


def _delete_outbox(tx: Transaction, *, before: int, limit: int) -> int:
    return outbox.delete_delivered_before(tx.conn, before=before, limit=limit)


def _delete_console_sessions(tx: Transaction, *, before: int, limit: int) -> int:
    return console_sessions.delete_over(tx, now=before, limit=limit)


BatchStep = Callable[..., int]


async def _in_batches(writer: Writer, step: BatchStep, before: int, batch_size: int) -> int:
    """Repeat one-unit batches until a short batch says nothing is left."""
    total = 0
    while True:
        deleted = await writer.run(lambda tx: step(tx, before=before, limit=batch_size))
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
        feedback=await _in_batches(
            writer, feedback_rows.delete_feedback_before, feedback_cutoff, size
        ),
        tasks=await _in_batches(writer, _delete_tasks, task_cutoff, size),
        outbox=await _in_batches(writer, _delete_outbox, feedback_cutoff, size),
        console_sessions=await _in_batches(writer, _delete_console_sessions, now, size),
    )


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
            lambda tx: claim_if_due(
                tx.conn, JOB, now=now_ms(), interval_ms=interval_ms, instance=instance
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
