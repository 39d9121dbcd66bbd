"""Chat turns in the widget: a message starts one, the agent streams into it and ends it,
the user may stop it or send it again. Each function is one unit of work on the writer."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from app.bounds import MESSAGE_MAX_CHARS, TITLE_MAX_CHARS
from app.db.writer import Transaction, Writer
from app.errors import conflict, invalid_field
from app.i18n.catalogs import N_
from app.identity import Identity
from app.transcripts import store
from app.transcripts.access import owned_session, owned_task, task_not_found
from app.transcripts.model import NewTask, TaskChange, TaskView, Turn


def _title(text: str) -> str:
    return text if len(text) <= TITLE_MAX_CHARS else text[: TITLE_MAX_CHARS - 1] + "…"


async def start_turn(
    writer: Writer,
    identity: Identity,
    *,
    session_id: str,
    text: str,
    agent_id: str,
    agent_type: str,
    model: str | None,
    history_turns: int,
    topic: str,
    retry_of: TaskView | None = None,
) -> tuple[TaskView, tuple[Turn, ...]]:
    """A message typed in the widget: a new running task, and the last `history_turns`
    completed turns before it, which the agent sends as context. `retry_of`: the turn whose
    message this answers again (Retry); the context is then the turns before that one."""
    text = text.strip()
    if not text:
        raise invalid_field("message", N_("Type a message before sending."))
    if len(text) > MESSAGE_MAX_CHARS:
        limit = N_("Messages are limited to %(limit)s characters.")
        raise invalid_field("message", limit, limit=MESSAGE_MAX_CHARS)

    def unit(tx: Transaction) -> tuple[TaskView, tuple[Turn, ...]]:
        chat = owned_session(tx.conn, identity, session_id)
        history = tuple(
            Turn(request, response)
            for request, response in store.recent_exchanges(
                tx.conn, session_id=session_id, limit=history_turns, before=retry_of
            )
        )
        if chat.title is None:
            store.set_title(tx, chat.id, _title(text))
        new = NewTask(
            request_text=text,
            agent_id=chat.agent_id or agent_id,
            agent_type=agent_type,
            model=model,
            retry_of=retry_of.id if retry_of is not None else None,
        )
        task = store.create_task(tx, chat=chat, new=new)
        store.add_task_event(
            tx, task_id=task.id, direction="request", topic=topic, payload={"text": text}
        )
        return task, history

    return await writer.run(unit)


def turn_in_chat(conn: Connection, identity: Identity, session_id: str, task_id: str) -> TaskView:
    """A turn of this chat the caller may act on, or 404 (a task of another chat too)."""
    task = owned_task(conn, identity, task_id)
    if task.session_id != session_id:
        raise task_not_found(task_id)
    return task


def _check_ours(task: TaskView, action: str) -> None:
    # A turn pushed by an agent platform is the platform's to run, stop and repeat.
    if task.agent_type is None:
        raise conflict(
            f"Task '{task.id}' is run by the agent platform; it cannot be {action} here.",
            "not_ours",
        )


def retry_text(task: TaskView) -> str:
    """The message a Retry sends again: any finished turn's (a completed one is answered
    anew, as "regenerate" does in other chat UIs); a running one is still answering."""
    _check_ours(task, "retried")
    if not task.finished:
        raise conflict(
            f"Task '{task.id}' is {task.status}; only a finished turn can be retried.",
            "not_retryable",
        )
    return task.request_text


def check_stoppable(task: TaskView) -> None:
    """A turn the widget's agent runs (finished ones are left as they are)."""
    _check_ours(task, "stopped")


async def append_reply(writer: Writer, *, task_id: str, text: str) -> bool:
    """Streamed text from the agent. False once the task has ended (someone stopped it):
    the text is refused and the agent should stop too."""

    def unit(tx: Transaction) -> bool:
        task = store.get_task(tx.conn, task_id)
        if task is None or task.finished:
            return False
        store.change_task(tx, task, TaskChange(append_text=text))
        return True

    return await writer.run(unit)


async def finish_reply(
    writer: Writer,
    *,
    task_id: str,
    text: str,
    status: str,
    error: str | None,
    topic: str,
    model: str | None = None,
    span: tuple[str, str] | None = None,
) -> None:
    """The agent's last words on a task (completed, failed or stopped), and the response,
    error or stop in its event log. A task that already ended stays as it is. `span`: the
    (trace id, span id) the turn was exported as, where feedback on it is annotated."""

    def unit(tx: Transaction) -> None:
        task = store.get_task(tx.conn, task_id)
        if task is None or task.finished:
            return
        trace_id, span_id = span or (None, None)
        change = TaskChange(
            append_text=text,
            status=status,
            error=error,
            model=model,
            otel_trace_id=trace_id,
            otel_span_id=span_id,
        )
        done = store.change_task(tx, task, change)
        _log_end(tx, done, topic)

    await writer.run(unit)


async def stop_turn(
    writer: Writer, identity: Identity, *, session_id: str, task_id: str, topic: str
) -> TaskView:
    """Record a stop for a turn no agent job here was running (it ran in another process,
    or none did): `cancelled`, keeping the text so far. A finished turn stays as it is."""

    def unit(tx: Transaction) -> TaskView:
        task = turn_in_chat(tx.conn, identity, session_id, task_id)
        check_stoppable(task)
        if task.finished:
            return task
        done = store.change_task(tx, task, TaskChange(status="cancelled"))
        _log_end(tx, done, topic)
        return done

    return await writer.run(unit)


def _log_end(tx: Transaction, task: TaskView, topic: str) -> None:
    payload: dict[str, Any]
    if task.status == "completed":
        direction, payload = "response", {"text": task.response_text}
    elif task.status == "cancelled":
        direction, payload = "cancel", {"stopped_after_chars": len(task.response_text)}
    else:
        direction, payload = "error", {"error": task.error}
    store.add_task_event(tx, task_id=task.id, direction=direction, topic=topic, payload=payload)
