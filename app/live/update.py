"""What a page must hear about, named as SSE events: a change to one of its session's tasks,
or, for the console's operators, that feedback arrived somewhere.

Instances share updates as data, not HTML: each renders an update only for channels its own
pages watch, so a change nobody is looking at costs no rendering anywhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import orjson

from app.bus import DomainEvent
from app.feedback.events import FeedbackReviewed, FeedbackSubmitted
from app.feedback.model import FeedbackView
from app.transcripts.events import TaskCreated, TaskFinished, TaskUpdated
from app.transcripts.model import TaskView

TASK_CREATED = "task-created"
TRANSCRIPT = "transcript"
FEEDBACK_ARRIVED = "feedback"
# The operators' channel; no session id can have this name (ids never start with "~").
OPERATORS = "~operators"
Kind = Literal["task", "reply", "feedback", "arrived"]


@dataclass(frozen=True)
class LiveUpdate:
    session_id: str  # the channel: a session, or OPERATORS
    kind: Kind  # which partial shows it
    task: TaskView | None  # None only for "arrived"
    ref: str = ""  # "arrived": the feedback's id
    given: FeedbackView | None = None  # "feedback": what the task now shows as given

    @property
    def name(self) -> str:
        """The SSE event name the page's element listens for."""
        if self.kind == "task":
            return TASK_CREATED
        if self.kind == "arrived":
            return FEEDBACK_ARRIVED
        assert self.task is not None
        return f"{self.kind}-{self.task.id}"

    @property
    def supersedes(self) -> bool:
        """Whether it carries the whole state of its name (older ones need not be replayed):
        a reply or controls state, or the operators' "look again"."""
        return self.kind != "task"

    @classmethod
    def of(cls, event: DomainEvent) -> list[LiveUpdate]:
        updates = []
        if isinstance(event, FeedbackReviewed):
            # Operators' pages look again (the queue: an item left, a count moved); nothing a
            # chat shows has changed.
            return [cls(OPERATORS, "arrived", None, event.feedback.id)]
        if isinstance(event, FeedbackSubmitted):
            updates.append(cls(OPERATORS, "arrived", None, event.feedback.id))
        elif not isinstance(event, TaskCreated | TaskUpdated | TaskFinished):
            return updates
        task = event.task
        if task is None:
            return updates  # conversation-level feedback: no page element shows it
        if isinstance(event, TaskCreated):
            updates.append(cls(task.session_id, "task", task))
        elif isinstance(event, FeedbackSubmitted):
            if event.feedback.marks_task:  # else nothing its controls show has changed
                updates.append(cls(task.session_id, "feedback", task, given=event.feedback))
        else:
            updates.append(cls(task.session_id, "reply", task))
        return updates

    def encode(self) -> bytes:
        task = asdict(self.task) if self.task is not None else None
        given = self.given.row() if self.given is not None else None
        return orjson.dumps({"k": self.kind, "t": task, "r": self.ref, "g": given})

    @classmethod
    def decode(cls, session_id: str, data: bytes) -> LiveUpdate:
        record = orjson.loads(data)
        task = TaskView(**record["t"]) if record.get("t") is not None else None
        given = FeedbackView.from_row(record["g"]) if record.get("g") is not None else None
        return cls(session_id, record["k"], task, record.get("r", ""), given)
