"""SQL for the transcripts: sessions (`sessions.py`), and tasks with their event log
(`tasks.py`). Both are re-exported here, as the store the transcripts service uses."""

from app.transcripts.store.sessions import (
    create_session,
    get_session,
    list_recent_sessions,
    new_id,
    session_exists,
    set_title,
)
from app.transcripts.store.tasks import (
    add_task_event,
    annotate_task,
    change_task,
    create_task,
    delete_tasks,
    find_task,
    get_task,
    list_task_events,
    list_tasks,
    old_task_ids,
    recent_exchanges,
    task_finished,
    task_window,
)

__all__ = [
    "add_task_event",
    "annotate_task",
    "change_task",
    "create_session",
    "create_task",
    "delete_tasks",
    "find_task",
    "get_session",
    "get_task",
    "list_recent_sessions",
    "list_task_events",
    "list_tasks",
    "new_id",
    "old_task_ids",
    "recent_exchanges",
    "session_exists",
    "set_title",
    "task_finished",
    "task_window",
]
