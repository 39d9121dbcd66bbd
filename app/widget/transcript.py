"""What the widget shows of a chat: a window of its turns, oldest first, with the feedback
each shows as given (read from the feedback table, in the same read)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from app.feedback.model import FeedbackView
from app.feedback.store.rows import shown_on_tasks
from app.transcripts import store
from app.transcripts.access import task_not_found
from app.transcripts.model import TaskView


@dataclass(frozen=True)
class Window:
    tasks: list[TaskView]
    has_earlier: bool
    shown: Mapping[str, FeedbackView]  # task id -> the feedback it shows as given

    def context(self) -> dict[str, Any]:
        return {"tasks": self.tasks, "has_earlier": self.has_earlier, "shown": self.shown}


def read_window(conn: Connection, session_id: str, *, limit: int, before: str | None) -> Window:
    """Up to `limit` turns of the chat, the newest before `before` (a task id of the chat),
    else the newest of all."""
    anchor = None
    if before is not None:
        anchor = store.get_task(conn, before)
        if anchor is None or anchor.session_id != session_id:
            raise task_not_found(before)
    tasks, has_earlier = store.task_window(conn, session_id=session_id, limit=limit, before=anchor)
    return Window(tasks, has_earlier, shown_on_tasks(conn, (task.id for task in tasks)))
