"""Store functions for the outbox: enqueue at commit, claim, settle, report, clean."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, delete, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from app.clock import now_ms
from app.db.models import OUTBOX, ChatSession, OutboxEvent

MQTT = "mqtt"


@dataclass(frozen=True)
class OutboxMessage:
    """One claimed event, as a transport sends it."""

    seq: int
    event_id: str
    destination: str
    topic: str | None
    payload: str
    attempts: int


def webhook_destination(index: int) -> str:
    return f"webhook:{index}"


def enqueue(
    conn: Connection,
    *,
    destinations: list[str],
    event_id: str,
    session_id: str,
    feedback_id: str | None,
    topic: str,
    payload: str,
) -> None:
    if conn.dialect.name == "postgresql":
        # Writers of one chat session take turns, so `seq` order is commit order within the
        # session. (SQLite writers are serial already.)
        conn.execute(select(ChatSession.id).where(ChatSession.id == session_id).with_for_update())
    now = now_ms()
    conn.execute(
        insert(OUTBOX),
        [
            {
                "event_id": event_id,
                "destination": destination,
                "session_id": session_id,
                "feedback_id": feedback_id,
                "topic": topic if destination == MQTT else None,
                "payload": payload,
                "created_time": now,
                "attempts": 0,
                "next_attempt_time": now,
            }
            for destination in destinations
        ],
    )


def _due(now: int) -> list[ColumnElement[bool]]:
    return [
        OutboxEvent.delivered_time.is_(None),
        OutboxEvent.next_attempt_time <= now,
        or_(OutboxEvent.claimed_until.is_(None), OutboxEvent.claimed_until < now),
    ]


def any_due(conn: Connection, *, now: int) -> bool:
    """A cheap read (no write lock) that tells an idle dispatcher whether to claim."""
    found = conn.scalar(select(OutboxEvent.seq).where(*_due(now)).limit(1))
    return found is not None


def claim_due(conn: Connection, *, now: int, lease_ms: int, limit: int) -> list[OutboxMessage]:
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
    seqs = list(conn.scalars(heads).all())
    if not seqs:
        return []
    claimed = OUTBOX.c.seq.in_(seqs)
    conn.execute(update(OUTBOX).where(claimed).values(claimed_until=now + lease_ms))
    c = OUTBOX.c
    rows = conn.execute(
        select(c.seq, c.event_id, c.destination, c.topic, c.payload, c.attempts)
        .where(claimed)
        .order_by(c.seq)
    )
    return [OutboxMessage(*row) for row in rows]


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed event: delivered, failed (error set) or postponed."""

    seq: int
    error: str | None = None
    retry_at: int | None = None


def settle(conn: Connection, outcomes: list[Outcome], *, now: int) -> None:
    """Record a pass's results; every row's claim is released."""
    delivered = [o.seq for o in outcomes if o.error is None and o.retry_at is None]
    if delivered:
        conn.execute(
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
        conn.execute(update(OutboxEvent).where(OutboxEvent.seq == outcome.seq).values(**values))


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


def stats(conn: Connection) -> OutboxStats:
    pending = OutboxEvent.delivered_time.is_(None)
    count, oldest = conn.execute(
        select(func.count(), func.min(OutboxEvent.created_time)).where(pending)
    ).one()
    last_error = conn.scalar(
        select(OutboxEvent.last_error)
        .where(pending, OutboxEvent.last_error.is_not(None))
        .order_by(OutboxEvent.next_attempt_time.desc())
        .limit(1)
    )
    return OutboxStats(int(count), oldest, last_error)


def backlog(conn: Connection) -> dict[str, tuple[int, int]]:
    """Per destination: how many events wait for delivery, and when the oldest was created
    (ms). Found through `ix_outbox_due`, so it reads only the undelivered rows."""
    rows = conn.execute(
        select(OutboxEvent.destination, func.count(), func.min(OutboxEvent.created_time))
        .where(OutboxEvent.delivered_time.is_(None))
        .group_by(OutboxEvent.destination)
    ).all()
    return {destination: (int(count), int(oldest)) for destination, count, oldest in rows}


def delete_delivered_before(conn: Connection, *, before: int, limit: int) -> int:
    """Delete up to `limit` events delivered before `before` (data retention); an undelivered
    event is never deleted."""
    delivered = OutboxEvent.delivered_time
    query = select(OutboxEvent.seq).where(delivered.is_not(None), delivered < before).limit(limit)
    seqs = list(conn.scalars(query).all())
    if seqs:
        conn.execute(delete(OutboxEvent).where(OutboxEvent.seq.in_(seqs)))
    return len(seqs)
