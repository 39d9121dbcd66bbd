"""Store functions for the outbox: enqueue at commit, claim, settle, report, clean."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.clock import now_ms
from app.models import ChatSession, OutboxEvent

MQTT = "mqtt"


def webhook_destination(index: int) -> str:
    return f"webhook:{index}"


async def enqueue(
    session: AsyncSession,
    *,
    destinations: list[str],
    event_id: str,
    session_id: str,
    feedback_id: str | None,
    topic: str,
    payload: str,
) -> None:
    # Writers of one chat session take turns (a row lock on PostgreSQL; SQLite writers are
    # serial already), so `seq` order is commit order within the session.
    await session.execute(
        select(ChatSession.id).where(ChatSession.id == session_id).with_for_update()
    )
    now = now_ms()
    for destination in destinations:
        session.add(
            OutboxEvent(
                event_id=event_id,
                destination=destination,
                session_id=session_id,
                feedback_id=feedback_id,
                topic=topic if destination == MQTT else None,
                payload=payload,
                created_time=now,
                attempts=0,
                next_attempt_time=now,
            )
        )
    await session.flush()


async def claim_due(
    session: AsyncSession, *, now: int, lease_ms: int, limit: int
) -> list[OutboxEvent]:
    """Lease the oldest undelivered event of each (destination, session) queue that is due.

    Only a queue's head is ever handed out, so a later event never overtakes an earlier one,
    and SKIP LOCKED (PostgreSQL) plus the lease keep two processes off the same row.
    """
    earlier = aliased(OutboxEvent)
    head = (
        select(func.min(earlier.seq))
        .where(
            earlier.delivered_time.is_(None),
            earlier.destination == OutboxEvent.destination,
            earlier.session_id == OutboxEvent.session_id,
        )
        .scalar_subquery()
    )
    query = (
        select(OutboxEvent)
        .where(
            OutboxEvent.delivered_time.is_(None),
            OutboxEvent.next_attempt_time <= now,
            or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
            OutboxEvent.seq == head,
        )
        .order_by(OutboxEvent.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.scalars(query)).all())
    for row in rows:
        row.claimed_until = now + lease_ms
    await session.flush()
    return rows


async def mark_delivered(session: AsyncSession, *, seq: int, now: int) -> None:
    row = await session.get(OutboxEvent, seq)
    if row is not None:
        row.delivered_time = now
        row.claimed_until = None
        row.attempts += 1
        row.last_error = None


async def mark_failed(session: AsyncSession, *, seq: int, error: str, retry_at: int) -> None:
    row = await session.get(OutboxEvent, seq)
    if row is not None:
        row.attempts += 1
        row.last_error = error[:2000]
        row.next_attempt_time = retry_at
        row.claimed_until = None


async def postpone(session: AsyncSession, *, seq: int, retry_at: int) -> None:
    row = await session.get(OutboxEvent, seq)
    if row is not None:
        row.next_attempt_time = retry_at
        row.claimed_until = None


@dataclass(frozen=True)
class OutboxStats:
    pending: int
    oldest_pending_ms: int | None
    last_error: str | None

    def to_json(self, now: int) -> dict[str, object]:
        age = None if self.oldest_pending_ms is None else (now - self.oldest_pending_ms) / 1000
        return {
            "pending": self.pending,
            "oldest_pending_age_seconds": age,
            "last_error": self.last_error,
        }


async def stats(session: AsyncSession) -> OutboxStats:
    pending = OutboxEvent.delivered_time.is_(None)
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxEvent.created_time)).where(pending)
        )
    ).one()
    last_error = await session.scalar(
        select(OutboxEvent.last_error)
        .where(pending, OutboxEvent.last_error.is_not(None))
        .order_by(OutboxEvent.next_attempt_time.desc())
        .limit(1)
    )
    return OutboxStats(int(count), oldest, last_error)


async def delete_delivered_before(session: AsyncSession, *, cutoff: int, limit: int) -> int:
    """Delete up to `limit` delivered rows older than the cutoff; undelivered ones never."""
    batch = (
        select(OutboxEvent.seq)
        .where(OutboxEvent.delivered_time.is_not(None), OutboxEvent.delivered_time < cutoff)
        .limit(limit)
    )
    seqs = list((await session.scalars(batch)).all())
    if seqs:
        await session.execute(delete(OutboxEvent).where(OutboxEvent.seq.in_(seqs)))
    return len(seqs)
