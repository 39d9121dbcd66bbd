"""The in-process bus domain events are published on after commit.

Listeners are called synchronously after commit and must not block: the SSE fan-out
renders and enqueues, the outbox dispatcher is only woken. Stagers run inside the
transaction instead, for writes that must commit with the change itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection

from app.events.domain import DomainEvent

log = logging.getLogger(__name__)
Listener = Callable[[DomainEvent], None]
# Runs inside the writing transaction, before commit: what it writes commits or rolls back
# together with the change that raised the event (the transactional outbox).
Stager = Callable[[Connection, DomainEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._stagers: list[Stager] = []

    def add_stager(self, stager: Stager) -> None:
        self._stagers.append(stager)

    def stage(self, conn: Connection, events: list[DomainEvent]) -> None:
        for event in events:
            for stager in self._stagers:
                stager(conn, event)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, event: DomainEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # One broken listener must not stop the others or the request that committed.
                log.exception("event listener %r failed on %s", listener, type(event).__name__)
