"""The in-process bus domain events are published on after commit.

Listeners are called synchronously after commit and must not block: the SSE fan-out
renders and enqueues, the outbox dispatcher is only woken. (What must commit together with
a change reacts inside the transaction instead: see the Writer's stagers.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)
# A domain event is a frozen dataclass of the package it belongs to (`transcripts.events`,
# `feedback.events`); the bus and the writer carry events without knowing their kinds.
DomainEvent = object
Listener = Callable[[DomainEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []

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
