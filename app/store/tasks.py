from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import now_ms
from app.errors import APIError, conflict
from app.models import ChatSession, Task, TaskEvent
from app.store.sessions import new_id


async def create_task(
    session: AsyncSession,
    *,
    chat_session: ChatSession,
    request_text: str,
    task_id: str | None = None,
    status: str = "running",
    response_text: str = "",
    agent_id: str | None = None,
    model: str | None = None,
    prompt_version: str | None = None,
    metadata: dict[str, Any] | None = None,
    trace_id: str | None = None,
    cost: float | None = None,
) -> Task:
    if task_id is not None and await session.get(Task, task_id) is not None:
        raise conflict(f"A task with ID '{task_id}' already exists.", "task_exists")
    if trace_id is not None and await session.scalar(
        select(Task.id).where(Task.trace_id == trace_id)
    ):
        raise conflict(f"A task with trace ID '{trace_id}' already exists.", "trace_exists")
    started = now_ms()
    row = Task(
        id=task_id or new_id(),
        session_id=chat_session.id,
        user_id=chat_session.user_id,
        agent_id=agent_id or chat_session.agent_id,
        status=status,
        request_text=request_text,
        response_text=response_text,
        model=model,
        prompt_version=prompt_version,
        trace_id=trace_id,
        cost=cost,
        start_time=started,
        end_time=started if status == "completed" else None,
        metadata_=metadata or {},
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError:
        raise conflict(f"A task with ID '{row.id}' already exists.", "task_exists") from None
    return row


async def get_task(session: AsyncSession, *, task_id: str) -> Task | None:
    return await session.get(Task, task_id)


async def list_tasks(session: AsyncSession, *, session_id: str) -> list[Task]:
    query = select(Task).where(Task.session_id == session_id).order_by(Task.start_time, Task.id)
    return list((await session.scalars(query)).all())


async def update_task(
    session: AsyncSession,
    *,
    task: Task,
    append_text: str | None = None,
    response_text: str | None = None,
    status: str | None = None,
    error: str | None = None,
) -> Task:
    """Apply a change to an unfinished task; a finished task is immutable (409)."""
    if task.finished:
        raise conflict(
            f"Task '{task.id}' is already {task.status} and can no longer change.",
            "task_finished",
        )
    if response_text is not None:
        task.response_text = response_text
    if append_text:
        task.response_text = (task.response_text or "") + append_text
    if error is not None:
        task.error = error
    if status is not None:
        if status not in ("running", "completed", "failed", "cancelled"):
            raise APIError(422, "invalid_status", f"Unknown task status '{status}'.")
        task.status = status
        if task.finished:
            task.end_time = now_ms()
    await session.flush()
    return task


async def add_task_event(
    session: AsyncSession,
    *,
    task_id: str,
    direction: str,
    payload: Any,
    topic: str | None = None,
) -> TaskEvent:
    row = TaskEvent(
        task_id=task_id, created_time=now_ms(), direction=direction, topic=topic, payload=payload
    )
    session.add(row)
    await session.flush()
    return row


async def list_task_events(session: AsyncSession, *, task_id: str) -> list[TaskEvent]:
    query = (
        select(TaskEvent)
        .where(TaskEvent.task_id == task_id)
        .order_by(TaskEvent.created_time, TaskEvent.id)
    )
    return list((await session.scalars(query)).all())
