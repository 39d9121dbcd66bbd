"""The domain events store functions raise on a transaction; published only after commit."""

from __future__ import annotations

from dataclasses import dataclass

from app.events.snapshots import FeedbackView, TaskView


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


def task_changed(task: TaskView) -> TaskUpdated | TaskFinished:
    """The event for a change to a task: finished once it reached a final status."""
    return TaskFinished(task) if task.finished else TaskUpdated(task)
