"""The one write path: units of work whose domain events are published only after commit.

A unit is a plain function of a `Transaction`. Store functions run inside it, write with its
connection and raise their events on it; nothing is published unless the unit commits.

On SQLite the writer commits in groups. Requests hand it a unit and await the result; the
writer thread takes whatever is queued (up to MAX_GROUP), runs each unit inside its own
SAVEPOINT, so a unit that fails (a 409, say) rolls back alone, then commits the group once.
Each committed unit's events are then published, in order. No request ever sleeps in
SQLite's busy handler, and a burst of writes costs one commit instead of one each.

On PostgreSQL each unit is its own transaction on the pool: writers run side by side, and
the database's row locks and unique indexes decide races.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from app.bus import DomainEvent, EventBus
from app.db.engine import Database, PostgresDatabase, SQLiteDatabase, busy, sqlite_transaction
from app.metrics import Metrics

T = TypeVar("T")
MAX_GROUP = 64


@dataclass
class Transaction:
    conn: Connection
    events: list[DomainEvent] = field(default_factory=list)

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)


Unit = Callable[[Transaction], T]
# Reacts to an event inside the unit that raised it, before commit: what it writes commits or
# rolls back with the change (the transactional outbox; feedback waiting for its trace). It may
# raise further events, which the stagers see in turn.
Stager = Callable[[Transaction, DomainEvent], None]


@dataclass
class _Queued(Generic[T]):
    unit: Unit[T]
    future: asyncio.Future[T]
    result: Any = None
    error: BaseException | None = None
    events: list[DomainEvent] = field(default_factory=list)


class Writer:
    def __init__(self, db: Database, bus: EventBus, metrics: Metrics | None = None) -> None:
        self.db = db
        self.bus = bus
        self._metrics = metrics
        self._queue: list[_Queued[Any]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._stagers: list[Stager] = []

    def add_stager(self, stager: Stager) -> None:
        self._stagers.append(stager)

    async def run(self, unit: Unit[T]) -> T:
        """Run `unit` in a transaction; its events are published once it has committed."""
        if isinstance(self.db, PostgresDatabase):
            # Shielded: a client that goes away mid-commit must not cost the others its events.
            return await asyncio.shield(self._run_alone(self.db, unit))
        loop = asyncio.get_running_loop()
        queued: _Queued[T] = _Queued(unit, loop.create_future())
        self._queue.append(queued)
        if self._metrics is not None:
            self._metrics.writer_queue.set(len(self._queue))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain(self.db), name="group-commit")
        return await queued.future

    def _apply(self, conn: Connection, unit: Unit[T]) -> tuple[T, list[DomainEvent]]:
        tx = Transaction(conn)
        result = unit(tx)
        staged = 0
        while staged < len(tx.events):  # stagers may raise events of their own
            for stager in self._stagers:
                stager(tx, tx.events[staged])
            staged += 1
        return result, tx.events

    async def _run_alone(self, db: PostgresDatabase, unit: Unit[T]) -> T:
        metrics = self._metrics
        if metrics is not None:
            metrics.writer_queue.inc()
        try:
            result, events = await db.transaction(lambda conn: self._apply(conn, unit))
        finally:
            if metrics is not None:
                metrics.writer_queue.dec()
        self._publish(events)
        return result

    async def _drain(self, db: SQLiteDatabase) -> None:
        try:
            while self._queue:
                group = self._queue[:MAX_GROUP]
                del self._queue[: len(group)]
                if self._metrics is not None:
                    self._metrics.writer_queue.set(len(self._queue))
                    self._metrics.writer_group.observe(len(group))
                try:
                    await db.in_writer_thread(partial(self._commit_group, group=group))
                except Exception as exc:  # the commit itself failed: none of them is stored
                    failure = busy(exc) or exc
                    for queued in group:
                        queued.error = queued.error or failure
                for queued in group:
                    # A committed unit's events go out even if its caller stopped waiting.
                    if queued.error is None:
                        self._publish(queued.events)
                    if queued.future.done():
                        continue
                    if queued.error is not None:
                        queued.future.set_exception(queued.error)
                    else:
                        queued.future.set_result(queued.result)
        finally:
            self._drainer = None

    def _commit_group(self, conn: Connection, *, group: list[_Queued[Any]]) -> None:
        """In the writer thread: every unit in a savepoint, one commit for them all."""
        raw = conn.connection.driver_connection
        assert raw is not None
        with sqlite_transaction(conn, write=True):
            for queued in group:
                # Savepoints on the DBAPI connection: SQLAlchemy's begin_nested() costs 35 µs
                # a unit, these 1.
                raw.execute("SAVEPOINT unit")
                try:
                    queued.result, queued.events = self._apply(conn, queued.unit)
                except Exception as exc:
                    raw.execute("ROLLBACK TO SAVEPOINT unit")
                    queued.error = exc
                raw.execute("RELEASE SAVEPOINT unit")

    def _publish(self, events: list[DomainEvent]) -> None:
        for event in events:
            self.bus.publish(event)
