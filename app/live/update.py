"""What a page must hear about: a change to one of its session's tasks, named as SSE events.

Instances share updates as data, not HTML: each renders an update only for sessions its own
pages watch, so a change nobody is looking at costs no rendering anywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import orjson

from app.events.domain import DomainEvent, FeedbackSubmitted, TaskCreated
from app.events.snapshots import TaskView

TASK_CREATED = "task-created"
TRANSCRIPT = "transcript"
Kind = Literal["task", "reply", "feedback"]


@dataclass(frozen=True)
class LiveUpdate:
    session_id: str
    kind: Kind  # which partial shows it
    task: TaskView

    @property
    def name(self) -> str:
        """The SSE event name the page's element listens for."""
        if self.kind == "task":
            return TASK_CREATED
        return f"{self.kind}-{self.task.id}"

    @property
    def supersedes(self) -> bool:
        """Whether it carries the whole state of its name (older ones need not be replayed)."""
        return self.kind != "task"

    @classmethod
    def of(cls, event: DomainEvent) -> LiveUpdate | None:
        task = event.task
        if task is None:
            return None  # conversation-level feedback: no page element shows it
        if isinstance(event, TaskCreated):
            return cls(task.session_id, "task", task)
        if isinstance(event, FeedbackSubmitted):
            return cls(task.session_id, "feedback", task)
        return cls(task.session_id, "reply", task)

    def encode(self) -> bytes:
        return orjson.dumps({"k": self.kind, "t": asdict(self.task)})

    @classmethod
    def decode(cls, session_id: str, data: bytes) -> LiveUpdate:
        record = orjson.loads(data)
        return cls(session_id, record["k"], TaskView(**record["t"]))
