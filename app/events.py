"""Domain events and the in-process bus they are published on after commit.

Listeners are called synchronously after commit and must not block: the SSE hub
renders and enqueues, the outbox dispatcher is only woken. Stagers run inside the
transaction instead, for writes that must commit with the change itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.views_model import FeedbackView, TaskView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskCreated:
    task: TaskView


@dataclass(frozen=True)
class TaskUpdated:
    """Response text or status changed while the task is still running."""

    task: TaskView


@dataclass(frozen=True)
class TaskFinished:
    """The task reached completed, failed or cancelled."""

    task: TaskView


@dataclass(frozen=True)
class FeedbackSubmitted:
    """Feedback was stored or changed; `task` is None for conversation-level feedback."""

    feedback: FeedbackView
    task: TaskView | None


DomainEvent = TaskCreated | TaskUpdated | TaskFinished | FeedbackSubmitted
Listener = Callable[[DomainEvent], None]
# Runs inside the writing transaction, before commit: what it writes commits or rolls back
# together with the change that raised the event (the transactional outbox).
Stager = Callable[[AsyncSession, DomainEvent], Awaitable[None]]


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._stagers: list[Stager] = []

    def add_stager(self, stager: Stager) -> None:
        self._stagers.append(stager)

    async def stage(self, session: AsyncSession, events: list[DomainEvent]) -> None:
        for event in events:
            for stager in self._stagers:
                await stager(session, event)

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
