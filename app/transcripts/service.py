"""Chats, and transcripts written from outside the widget: the push API and Trodo runs (the
widget's own turns are in `turns.py`). Each function is one unit of work on the writer; the
store raises the events, which go out after commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.db.writer import Transaction, Writer
from app.identity import Identity
from app.transcripts import store
from app.transcripts.access import owned_session, owned_task
from app.transcripts.model import NewTask, SessionView, TaskChange, TaskView


async def new_chat(writer: Writer, *, user_id: str, agent_id: str) -> SessionView:
    return await writer.run(lambda tx: store.create_session(tx, user_id=user_id, agent_id=agent_id))


async def push_session(
    writer: Writer,
    identity: Identity,
    *,
    user_id: str | None,
    session_id: str | None,
    title: str | None,
    agent_id: str | None,
    metadata: dict[str, Any] | None,
) -> SessionView:
    identity.require("transcripts:write")
    owner = identity.acting_user(user_id, "transcripts:write")
    return await writer.run(
        lambda tx: store.create_session(
            tx,
            user_id=owner,
            session_id=session_id,
            title=title,
            agent_id=agent_id,
            metadata=metadata,
        )
    )


async def push_task(
    writer: Writer, identity: Identity, *, session_id: str, new: NewTask
) -> TaskView:
    identity.require("transcripts:write")

    def unit(tx: Transaction) -> TaskView:
        chat = owned_session(tx.conn, identity, session_id)
        return store.create_task(tx, chat=chat, new=new)

    return await writer.run(unit)


async def change_task(
    writer: Writer, identity: Identity, *, task_id: str, change: TaskChange
) -> TaskView:
    identity.require("transcripts:write")

    def unit(tx: Transaction) -> TaskView:
        task = owned_task(tx.conn, identity, task_id)
        if task.finished:
            raise store.task_finished(task)
        return store.change_task(tx, task, change)

    return await writer.run(unit)


async def record_task_event(
    writer: Writer,
    identity: Identity,
    *,
    task_id: str,
    direction: str,
    topic: str | None,
    payload: Any,
) -> dict[str, Any]:
    identity.require("transcripts:write")

    def unit(tx: Transaction) -> dict[str, Any]:
        owned_task(tx.conn, identity, task_id)
        return store.add_task_event(
            tx, task_id=task_id, direction=direction, topic=topic, payload=payload
        )

    return await writer.run(unit)


@dataclass(frozen=True)
class RunRecord:
    """An agent run reported by a tracing SDK (Trodo): becomes, or fills in, one task."""

    run_id: str
    conversation_id: str
    user_id: str | None
    agent: str | None
    status: str
    request_text: str
    response_text: str
    model: str | None = None
    prompt_version: str | None = None
    cost: float | None = None
    error: str | None = None


async def record_run(writer: Writer, run: RunRecord) -> str:
    """Create the run's task (and its conversation) or fill in what a later report adds."""

    def unit(tx: Transaction) -> str:
        task = store.find_task(tx.conn, run.run_id)
        if task is None:
            chat = store.get_session(tx.conn, run.conversation_id) or store.create_session(
                tx,
                user_id=run.user_id or "trodo:anonymous",
                session_id=run.conversation_id,
                agent_id=run.agent,
            )
            task = store.create_task(
                tx,
                chat=chat,
                new=NewTask(
                    id=run.run_id,
                    trace_id=run.run_id,
                    request_text=run.request_text or f"({run.agent or 'agent'} run)",
                    response_text=run.response_text,
                    agent_id=run.agent,
                    model=run.model,
                    prompt_version=run.prompt_version,
                    cost=run.cost,
                ),
            )
        else:
            store.annotate_task(
                tx, task.id, model=run.model, prompt_version=run.prompt_version, cost=run.cost
            )
        if run.status in ("completed", "failed", "cancelled") and not task.finished:
            change = TaskChange(
                response_text=run.response_text or None, status=run.status, error=run.error
            )
            store.change_task(tx, task, change)
        return task.id

    return await writer.run(unit)
