"""Runs the agent for a task in the background and records what happens to it.

Streamed text is committed (and so published) at most every FLUSH_SECONDS, so a
fast agent costs a bounded number of writes per second while a reload mid-stream
still shows the text so far.
"""

from __future__ import annotations

import asyncio
import logging
import time

from app.agents import Agent, AgentError, AgentRequest, Turn
from app.events import TaskFinished, TaskUpdated
from app.store import tasks as task_store
from app.transaction import Writer
from app.views_model import TaskView

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.05
INTERRUPTED = "The server stopped before the agent finished."


class TaskRunner:
    def __init__(self, *, writer: Writer, agent: Agent) -> None:
        self._writer = writer
        self._agent = agent
        self._running: set[asyncio.Task[None]] = set()

    def start(self, task: TaskView, history: tuple[Turn, ...]) -> None:
        request = AgentRequest(task.session_id, task.id, task.user_id, task.request_text, history)
        job = asyncio.create_task(self._run(request), name=f"agent-task-{task.id}")
        self._running.add(job)
        job.add_done_callback(self._running.discard)

    @property
    def model(self) -> str | None:
        return self._agent.model

    @property
    def running(self) -> int:
        return len(self._running)

    async def shutdown(self) -> None:
        for job in list(self._running):
            job.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def _run(self, request: AgentRequest) -> None:
        pending: list[str] = []
        last_flush = time.monotonic()
        try:
            async for chunk in self._agent.reply(request):
                pending.append(chunk)
                if time.monotonic() - last_flush >= FLUSH_SECONDS:
                    await self._append(request.task_id, "".join(pending))
                    pending.clear()
                    last_flush = time.monotonic()
            await self._finish(request.task_id, "".join(pending), "completed", None)
        except asyncio.CancelledError:
            await asyncio.shield(
                self._finish(request.task_id, "".join(pending), "failed", INTERRUPTED)
            )
            raise
        except AgentError as exc:
            await self._finish(request.task_id, "".join(pending), "failed", str(exc))
        except Exception:
            log.exception("agent failed on task %s", request.task_id)
            await self._finish(
                request.task_id, "".join(pending), "failed", "The agent failed unexpectedly."
            )

    async def _append(self, task_id: str, text: str) -> None:
        async with self._writer.transaction() as tx:
            task = await task_store.get_task(tx.session, task_id=task_id)
            if task is None or task.finished:
                return
            await task_store.update_task(tx.session, task=task, append_text=text)
            tx.emit(TaskUpdated(TaskView.of(task)))

    async def _finish(self, task_id: str, text: str, status: str, error: str | None) -> None:
        try:
            async with self._writer.transaction() as tx:
                task = await task_store.get_task(tx.session, task_id=task_id)
                if task is None or task.finished:
                    return
                await task_store.update_task(
                    tx.session, task=task, append_text=text, status=status, error=error
                )
                payload = (
                    {"text": task.response_text} if status == "completed" else {"error": error}
                )
                await task_store.add_task_event(
                    tx.session,
                    task_id=task_id,
                    direction="response" if status == "completed" else "error",
                    topic=f"agent/{self._agent.name}/response",
                    payload=payload,
                )
                tx.emit(TaskFinished(TaskView.of(task)))
        except Exception:
            log.exception("could not record the end of task %s", task_id)
