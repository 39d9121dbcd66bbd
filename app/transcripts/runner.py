"""Runs the agent for a task in the background and records what happens to it.

Streamed text is committed (and so published) at most every FLUSH_SECONDS, so a
fast agent costs a bounded number of writes per second while a reload mid-stream
still shows the text so far.
"""

from __future__ import annotations

import asyncio
import logging
import time

from app.events.snapshots import TaskView
from app.events.transaction import Writer
from app.transcripts import service
from app.transcripts.agents import Agent, AgentError, AgentRequest, Turn

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.05
INTERRUPTED = "The server stopped before the agent finished."


class TaskRunner:
    def __init__(self, *, writer: Writer, agent: Agent) -> None:
        self._writer = writer
        self._agent = agent
        self._running: dict[asyncio.Task[None], str] = {}

    def start(self, task: TaskView, history: tuple[Turn, ...]) -> None:
        request = AgentRequest(task.session_id, task.id, task.user_id, task.request_text, history)
        job = asyncio.create_task(self._run(request), name=f"agent-task-{task.id}")
        self._running[job] = task.id
        job.add_done_callback(self._running.pop)

    @property
    def name(self) -> str:
        return self._agent.name

    @property
    def model(self) -> str | None:
        return self._agent.model

    @property
    def topic(self) -> str:
        return f"agent/{self._agent.name}"

    @property
    def running(self) -> int:
        return len(self._running)

    async def shutdown(self) -> None:
        jobs = dict(self._running)
        for job in jobs:
            job.cancel()
        await asyncio.gather(*jobs, return_exceptions=True)
        # A job cancelled before it ever ran never reached its own clean-up: end its task here.
        # (Finishing a task that already ended is a no-op.)
        for task_id in jobs.values():
            await self._finish(task_id, "", "failed", INTERRUPTED)

    async def _run(self, request: AgentRequest) -> None:
        pending: list[str] = []
        last_flush = time.monotonic()
        try:
            async for chunk in self._agent.reply(request):
                pending.append(chunk)
                if time.monotonic() - last_flush >= FLUSH_SECONDS:
                    await service.append_reply(
                        self._writer, task_id=request.task_id, text="".join(pending)
                    )
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

    async def _finish(self, task_id: str, text: str, status: str, error: str | None) -> None:
        try:
            await service.finish_reply(
                self._writer,
                task_id=task_id,
                text=text,
                status=status,
                error=error,
                topic=f"{self.topic}/response",
            )
        except Exception:
            log.exception("could not record the end of task %s", task_id)
