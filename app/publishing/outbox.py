"""Store functions for the outbox: enqueue at commit, claim, settle, report, clean."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, or_, select, update
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
    if session.get_bind().dialect.name == "postgresql":
        # Writers of one chat session take turns, so `seq` order is commit order within the
        # session. (SQLite writers are serial already.)
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


def _due(now: int) -> list[ColumnElement[bool]]:
    return [
        OutboxEvent.delivered_time.is_(None),
        OutboxEvent.next_attempt_time <= now,
        or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
    ]


async def any_due(session: AsyncSession, *, now: int) -> bool:
    """A cheap read (no write lock) that tells an idle dispatcher whether to claim."""
    found = await session.scalar(select(OutboxEvent.seq).where(*_due(now)).limit(1))
    return found is not None


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
    heads = (
        select(OutboxEvent.seq)
        .where(*_due(now), OutboxEvent.seq == head)
        .order_by(OutboxEvent.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    seqs = list((await session.scalars(heads)).all())
    if not seqs:
        return []
    claimed = OutboxEvent.seq.in_(seqs)
    await session.execute(update(OutboxEvent).where(claimed).values(claimed_until=now + lease_ms))
    rows = await session.scalars(select(OutboxEvent).where(claimed).order_by(OutboxEvent.seq))
    return list(rows.all())


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed event: delivered, failed (error set) or postponed."""

    seq: int
    error: str | None = None
    retry_at: int | None = None


async def settle(session: AsyncSession, outcomes: list[Outcome], *, now: int) -> None:
    """Record a pass's results; every row's claim is released."""
    delivered = [o.seq for o in outcomes if o.error is None and o.retry_at is None]
    if delivered:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.seq.in_(delivered))
            .values(
                delivered_time=now,
                claimed_until=None,
                attempts=OutboxEvent.attempts + 1,
                last_error=None,
            )
        )
    for outcome in outcomes:
        if outcome.retry_at is None:
            continue
        values: dict[str, object] = {"next_attempt_time": outcome.retry_at, "claimed_until": None}
        if outcome.error is not None:
            values.update(attempts=OutboxEvent.attempts + 1, last_error=outcome.error[:2000])
        await session.execute(
            update(OutboxEvent).where(OutboxEvent.seq == outcome.seq).values(**values)
        )


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
