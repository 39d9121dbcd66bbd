"""Delivers outbox events in the background: at least once, in order per session, with backoff.

A failing destination never blocks the request that created the event; its events wait in
the outbox (surviving restarts) and are retried with exponential backoff and jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time

from app.clock import now_ms
from app.db.engine import Database
from app.db.writer import Writer
from app.metrics import Metrics
from app.publishing import outbox
from app.publishing.outbox import OutboxMessage
from app.publishing.transports import DeliveryError, Transport

log = logging.getLogger("feedback_widget.publishing")
LEASE_MS = 30_000
PASS_BUDGET_SECONDS = LEASE_MS / 1000 / 3
BATCH = 100
IDLE_POLL_SECONDS = 1.0
COALESCE_SECONDS = 0.1
FIRST_RETRY_SECONDS = 0.5


def retry_delay(attempts: int, cap_seconds: float) -> float:
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s ... up to the cap, times 0.5..1."""
    base = min(cap_seconds, FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return float(base * random.uniform(0.5, 1.0))


class Dispatcher:
    def __init__(
        self,
        *,
        db: Database,
        writer: Writer,
        transports: dict[str, Transport],
        retry_max_seconds: float,
        warn_pending_seconds: float,
        metrics: Metrics | None = None,
    ) -> None:
        self._db = db
        self._writer = writer
        self._transports = transports
        self._retry_max = retry_max_seconds
        self._warn_after_ms = int(warn_pending_seconds * 1000)
        self._wake = asyncio.Event()
        self._last_warning = 0
        self._task: asyncio.Task[None] | None = None
        self._metrics = metrics
        if metrics is not None:
            metrics.targets(list(transports))

    @property
    def targets(self) -> list[str]:
        """The configured destinations (mqtt, webhook:<index>, alert:<name>)."""
        return list(self._transports)

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for transport in self._transports.values():
            await transport.close()

    async def _run(self) -> None:
        while True:
            try:
                handled = await self.deliver_due()
                await self._warn_if_stale()
            except Exception:
                log.exception("outbox dispatch pass failed; retrying")
                handled = 0
            if handled == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)
                    # Let a burst of submissions land first, so one pass carries them all.
                    await asyncio.sleep(COALESCE_SECONDS)

    async def deliver_due(self) -> int:
        """One pass: lease the due queue heads, try each, settle them all in one transaction.

        Returns how many were tried."""
        if not await self._db.read(lambda conn: outbox.any_due(conn, now=now_ms())):
            return 0
        claimed = await self._writer.run(
            lambda tx: outbox.claim_due(tx.conn, now=now_ms(), lease_ms=LEASE_MS, limit=BATCH)
        )
        unreachable: dict[str, int] = {}  # destination -> when to try it again
        outcomes: list[outbox.Outcome] = []
        deadline = time.monotonic() + PASS_BUDGET_SECONDS
        for event in claimed:
            if outcomes and time.monotonic() > deadline:
                # Hand the rest back well before the lease ends, so no other process can
                # claim an event this one is still sending. (The first is always tried.)
                outcomes.append(outbox.Outcome(event.seq, retry_at=now_ms()))
                continue
            retry_at = unreachable.get(event.destination)
            if retry_at is not None:
                # Not attempted: it waits with its destination, keeping its own counts.
                outcomes.append(outbox.Outcome(event.seq, retry_at=retry_at))
                continue
            failure = await self._send(event)
            if self._metrics is not None:
                self._metrics.delivered(event.destination, ok=failure is None)
            if failure is None:
                outcomes.append(outbox.Outcome(event.seq))
                continue
            retry_at = now_ms() + int(retry_delay(event.attempts + 1, self._retry_max) * 1000)
            if not failure.only_this_event:
                unreachable[event.destination] = retry_at
            outcomes.append(outbox.Outcome(event.seq, error=str(failure), retry_at=retry_at))
        if outcomes:
            await self._writer.run(lambda tx: outbox.settle(tx.conn, outcomes, now=now_ms()))
        return len(claimed)

    async def _send(self, event: OutboxMessage) -> DeliveryError | None:
        """Deliver one event; why it failed, when it did."""
        transport = self._transports.get(event.destination)
        if transport is None:
            return DeliveryError(f"destination {event.destination} is no longer configured")
        try:
            await transport.send(event)
        except DeliveryError as exc:
            return exc
        except Exception as exc:
            log.exception("unexpected error delivering outbox event %s", event.event_id)
            return DeliveryError(f"{type(exc).__name__}: {exc}")
        return None

    async def _warn_if_stale(self) -> None:
        now = now_ms()
        if now - self._last_warning < min(self._warn_after_ms, 60_000):
            return
        current = await self._db.read(outbox.stats)
        if (
            current.oldest_pending_ms is not None
            and now - current.oldest_pending_ms > self._warn_after_ms
        ):
            self._last_warning = now
            log.warning(
                "%d feedback event(s) undelivered; the oldest has waited %.0f s (last error: %s)",
                current.pending,
                (now - current.oldest_pending_ms) / 1000,
                current.last_error,
            )
