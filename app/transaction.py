"""The one write path: a transaction whose domain events are published only after commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.events import DomainEvent, EventBus


@dataclass
class Transaction:
    session: AsyncSession
    events: list[DomainEvent] = field(default_factory=list)

    def emit(self, event: DomainEvent) -> None:
        self.events.append(event)


@dataclass(frozen=True)
class Writer:
    db: Database
    bus: EventBus

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        async with self.db.write() as session:
            tx = Transaction(session)
            yield tx
            await self.bus.stage(session, tx.events)
        # Reached only when the commit succeeded; a rollback drops the events with it.
        for event in tx.events:
            self.bus.publish(event)
