"""Domain events and the in-process bus they are published on after commit.

Listeners are called synchronously and must not block: the SSE hub only
renders and enqueues; later broker publishers hand off to their own tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

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
    feedback: FeedbackView
    task: TaskView


DomainEvent = TaskCreated | TaskUpdated | TaskFinished | FeedbackSubmitted
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
