"""What happens to a chat's turns, raised by the store on a transaction and published only
after commit."""

from __future__ import annotations

from dataclasses import dataclass

from app.transcripts.model import TaskView


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


def task_changed(task: TaskView) -> TaskUpdated | TaskFinished:
    """The event for a change to a task: finished once it reached a final status."""
    return TaskFinished(task) if task.finished else TaskUpdated(task)
