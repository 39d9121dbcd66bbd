"""SQL for tasks (the turns of a chat) and their event log. Reads take a connection; writes
take the transaction and raise their domain events on it.

Statements are built once, with bound parameters, and executed with the values: building a
statement around literal values costs more than running it (measured: 141 µs for an INSERT
built with `.values()`, 19 µs prebuilt).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    String,
    bindparam,
    delete,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError

from app.clock import now_ms
from app.db.models import FINISHED_STATUSES, TASK_EVENTS, TASKS
from app.db.writer import Transaction
from app.errors import APIError, conflict
from app.transcripts.events import TaskCreated, task_changed
from app.transcripts.markdown import HTML_VERSION, render_final
from app.transcripts.model import NewTask, SessionView, TaskChange, TaskView
from app.transcripts.store.sessions import new_id

STATUSES = ("running", "completed", "failed", "cancelled")

_GET_TASK = select(TASKS).where(TASKS.c.id == bindparam("b_id"))
_FIND_TASK = (
    select(TASKS)
    .where(or_(TASKS.c.id == bindparam("b_ref"), TASKS.c.trace_id == bindparam("b_ref")))
    .limit(2)
)
_TRACE_TAKEN = select(TASKS.c.id).where(TASKS.c.trace_id == bindparam("b_trace"))
_INSERT_TASK = insert(TASKS)
_UNFINISHED = (TASKS.c.id == bindparam("b_id"), TASKS.c.status.not_in(FINISHED_STATUSES))
_CHANGE_TASK = update(TASKS).where(*_UNFINISHED).returning(*TASKS.c)
_APPEND_TASK = (
    update(TASKS)
    .where(*_UNFINISHED)
    .values(response_text=TASKS.c.response_text + bindparam("b_append"))
    .returning(*TASKS.c)
)
_ANNOTATE_TASK = update(TASKS).where(TASKS.c.id == bindparam("b_id"))
_SET_HTML = update(TASKS).where(TASKS.c.id == bindparam("b_id"))
_INSERT_EVENT = insert(TASK_EVENTS)
_LIST_EVENTS = (
    select(TASK_EVENTS)
    .where(TASK_EVENTS.c.task_id == bindparam("b_task"))
    .order_by(TASK_EVENTS.c.created_time, TASK_EVENTS.c.id)
)
_LIST_TASKS = (
    select(TASKS)
    .where(TASKS.c.session_id == bindparam("b_session"))
    .order_by(TASKS.c.start_time, TASKS.c.id)
)
_NEWEST_FIRST = (TASKS.c.start_time.desc(), TASKS.c.id.desc())
_LATEST_TASKS = (
    select(TASKS)
    .where(TASKS.c.session_id == bindparam("b_session"))
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("b_limit"))
)
_RETRIES = TASKS.alias("retries")
# A completed answer that a later completed answer to the same message (a Retry) replaced.
_SUPERSEDED = (
    select(_RETRIES.c.id)
    .where(_RETRIES.c.retry_of == TASKS.c.id, _RETRIES.c.status == "completed")
    .exists()
)
_RECENT_COMPLETED = (
    select(TASKS.c.request_text, TASKS.c.response_text)
    .where(
        TASKS.c.session_id == bindparam("b_session"),
        TASKS.c.status == "completed",
        ~_SUPERSEDED,
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("b_limit"))
)
_COMPLETED_BEFORE = _RECENT_COMPLETED.where(
    tuple_(TASKS.c.start_time, TASKS.c.id)
    < tuple_(bindparam("b_start", type_=BigInteger), bindparam("b_id", type_=String))
)
_TASKS_BEFORE = (
    select(TASKS)
    .where(
        TASKS.c.session_id == bindparam("b_session"),
        tuple_(TASKS.c.start_time, TASKS.c.id)
        < tuple_(bindparam("b_start", type_=BigInteger), bindparam("b_id", type_=String)),
    )
    .order_by(*_NEWEST_FIRST)
    .limit(bindparam("b_limit"))
)


def get_task(conn: Connection, task_id: str) -> TaskView | None:
    row = conn.execute(_GET_TASK, {"b_id": task_id}).mappings().first()
    return TaskView.from_row(row) if row else None


def find_task(conn: Connection, reference: str) -> TaskView | None:
    """A task by its id, or by the trace id (OTel trace, Trodo run) recorded on it."""
    rows = conn.execute(_FIND_TASK, {"b_ref": reference}).mappings().all()
    # An id match wins over another task's trace id that happens to be equal.
    for row in rows:
        if row["id"] == reference:
            return TaskView.from_row(row)
    return TaskView.from_row(rows[0]) if rows else None


def create_task(tx: Transaction, *, chat: SessionView, new: NewTask) -> TaskView:
    """Store a new turn and raise TaskCreated. A turn stored completed is rendered now."""
    conn = tx.conn
    if new.id is not None and get_task(conn, new.id) is not None:
        raise conflict(f"A task with ID '{new.id}' already exists.", "task_exists")
    if new.trace_id is not None and conn.scalar(_TRACE_TAKEN, {"b_trace": new.trace_id}):
        raise conflict(f"A task with trace ID '{new.trace_id}' already exists.", "trace_exists")
    started = now_ms()
    values = {
        "id": new.id or new_id(),
        "session_id": chat.id,
        "user_id": chat.user_id,
        "agent_id": new.agent_id or chat.agent_id,
        "status": new.status,
        "request_text": new.request_text,
        "response_text": new.response_text,
        "error": None,
        "model": new.model,
        "prompt_version": new.prompt_version,
        "cost": new.cost,
        "trace_id": new.trace_id,
        "start_time": started,
        "end_time": started if new.status in FINISHED_STATUSES else None,
        "metadata": new.metadata or {},
        "agent_type": new.agent_type,
        "retry_of": new.retry_of,
        **_rendered(new.status, new.response_text),
    }
    try:
        conn.execute(_INSERT_TASK, values)
    except IntegrityError:
        raise conflict(f"A task with ID '{values['id']}' already exists.", "task_exists") from None
    task = TaskView.from_row(values)
    tx.emit(TaskCreated(task))
    return task


def task_finished(task: TaskView) -> APIError:
    return conflict(
        f"Task '{task.id}' is already {task.status} and can no longer change.", "task_finished"
    )


def change_task(tx: Transaction, task: TaskView, change: TaskChange) -> TaskView:
    """Change an unfinished task (a finished one is immutable: 409) and raise its event."""
    status, append_text = change.status, change.append_text
    if status is not None and status not in STATUSES:
        raise APIError(422, "invalid_status", f"Unknown task status '{status}'.")
    values: dict[str, Any] = {
        name: value
        for name, value in (
            ("response_text", change.response_text),
            ("error", change.error),
            ("status", status),
            ("model", change.model),
            ("prompt_version", change.prompt_version),
            ("cost", change.cost),
            ("otel_trace_id", change.otel_trace_id),
            ("otel_span_id", change.otel_span_id),
        )
        if value is not None
    }
    if append_text and change.response_text is not None:
        values["response_text"] = change.response_text + append_text
        append_text = None
    if status in FINISHED_STATUSES:
        values["end_time"] = now_ms()
    if not values and not append_text:
        return task
    statement = _APPEND_TASK if append_text else _CHANGE_TASK
    params = {"b_id": task.id, **values}
    if append_text:
        params["b_append"] = append_text
    row = tx.conn.execute(statement, params).mappings().first()
    if row is None:
        current = get_task(tx.conn, task.id) or task
        raise task_finished(current)
    changed = TaskView.from_row(row)
    if changed.status == "completed":
        html = _rendered(changed.status, changed.response_text)
        tx.conn.execute(_SET_HTML, {"b_id": changed.id, **html})
        changed = replace(changed, **html)
    tx.emit(task_changed(changed))
    return changed


def _rendered(status: str, text: str) -> dict[str, Any]:
    """A completed reply's stored HTML: rendered once, at completion."""
    if status != "completed":
        return {"response_html": None, "html_version": None}
    return {"response_html": render_final(text), "html_version": HTML_VERSION}


def annotate_task(
    tx: Transaction,
    task_id: str,
    *,
    model: str | None,
    prompt_version: str | None,
    cost: float | None,
) -> None:
    """Record what a tracing SDK learned about a task later, whatever its status (no event:
    nothing a page shows changes)."""
    values = {
        name: value
        for name, value in (("model", model), ("prompt_version", prompt_version), ("cost", cost))
        if value is not None
    }
    if values:
        tx.conn.execute(_ANNOTATE_TASK, {"b_id": task_id, **values})


def add_task_event(
    tx: Transaction, *, task_id: str, direction: str, payload: Any, topic: str | None = None
) -> dict[str, Any]:
    values = {
        "task_id": task_id,
        "created_time": now_ms(),
        "direction": direction,
        "topic": topic,
        "payload": payload,
    }
    event_id = tx.conn.execute(_INSERT_EVENT, values).inserted_primary_key
    return {"id": event_id[0] if event_id else None, **values}


def list_tasks(conn: Connection, *, session_id: str) -> list[TaskView]:
    """The whole transcript, oldest first."""
    return [
        TaskView.from_row(row)
        for row in conn.execute(_LIST_TASKS, {"b_session": session_id}).mappings()
    ]


def task_window(
    conn: Connection, *, session_id: str, limit: int, before: TaskView | None = None
) -> tuple[list[TaskView], bool]:
    """Up to `limit` turns, the newest before `before` (else the newest of all), oldest
    first; and whether earlier turns remain."""
    params: dict[str, Any] = {"b_session": session_id, "b_limit": limit + 1}
    statement = _LATEST_TASKS
    if before is not None:
        statement = _TASKS_BEFORE
        params.update(b_start=before.start_time, b_id=before.id)
    rows = [TaskView.from_row(row) for row in conn.execute(statement, params).mappings()]
    return rows[:limit][::-1], len(rows) > limit


def recent_exchanges(
    conn: Connection, *, session_id: str, limit: int, before: TaskView | None = None
) -> list[tuple[str, str]]:
    """The last `limit` completed turns (before `before`, a retried turn) as (request,
    response), oldest first: an agent's context. An answer a Retry replaced is left out."""
    if limit <= 0:
        return []
    params: dict[str, Any] = {"b_session": session_id, "b_limit": limit}
    if before is not None:
        params.update(b_start=before.start_time, b_id=before.id)
    rows = conn.execute(_COMPLETED_BEFORE if before is not None else _RECENT_COMPLETED, params)
    return [(row.request_text, row.response_text) for row in rows][::-1]


def list_task_events(conn: Connection, *, task_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in conn.execute(_LIST_EVENTS, {"b_task": task_id}).mappings()]


def old_task_ids(conn: Connection, *, before: int, limit: int) -> list[str]:
    """Up to `limit` tasks started before `before` (epoch ms): data retention's next batch."""
    query = select(TASKS.c.id).where(TASKS.c.start_time < before).limit(limit)
    return list(conn.scalars(query).all())


def delete_tasks(tx: Transaction, task_ids: list[str]) -> None:
    """Delete tasks with their event logs (data retention; feedback on them is detached first
    by the feedback store, so it outlives them)."""
    tx.conn.execute(delete(TASK_EVENTS).where(TASK_EVENTS.c.task_id.in_(task_ids)))
    tx.conn.execute(delete(TASKS).where(TASKS.c.id.in_(task_ids)))
