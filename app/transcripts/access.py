"""Whose sessions and tasks a caller may reach. Other users' sessions and tasks do not exist
for them: they answer 404 exactly like an unknown id, so a prober learns nothing from the
difference. A session named outside a `sid` token's chat is 403 whether or not it exists."""

from __future__ import annotations

from sqlalchemy import Connection

from app.errors import APIError, not_found
from app.identity import Identity
from app.transcripts import store
from app.transcripts.model import SessionView, TaskView


def session_not_found(session_id: str) -> APIError:
    return not_found(f"Session with ID '{session_id}' not found.", "session_not_found")


def task_not_found(task_id: str) -> APIError:
    return not_found(f"Task with ID '{task_id}' not found.", "task_not_found")


def owned_session(conn: Connection, identity: Identity, session_id: str) -> SessionView:
    """The caller's session, or 404. An API key reaches every user's sessions (its scope is
    checked by the caller); a token limited to one session (`sid`) reaches only that one."""
    identity.check_session(session_id)
    chat = store.get_session(conn, session_id)
    if chat is None or not identity.may_see(chat.user_id):
        raise session_not_found(session_id)
    return chat


def owned_task(conn: Connection, identity: Identity, task_id: str) -> TaskView:
    """The caller's task, or 404: another user's task, and for a `sid` token a task of
    another chat (even the same user's), answer exactly like one that does not exist."""
    task = store.get_task(conn, task_id)
    if task is None or not identity.may_reach(task.user_id, task.session_id):
        raise task_not_found(task_id)
    return task
