"""Runs the agent for a task in the background and records what happens to it.

Streamed text is committed (and so published) at most every FLUSH_SECONDS, and within
FLUSH_SECONDS of arriving even when the agent then pauses: a model streaming 50 tokens a
second costs ten writes a second, not fifty, and a reload mid-stream shows the text so far.

A job ends one of three ways: the agent finishes (`completed`), fails (`failed`, with its
one-line message), or is stopped (`cancelled`, keeping the text so far). Stopping a job
cancels the agent's iteration, which closes the upstream request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import aclosing
from dataclasses import dataclass, field

from opentelemetry.trace import Span

from app import redaction
from app.agents import Agent, AgentError, AgentRequest, ModelReported, UsageReported
from app.boundary import repaired
from app.bounds import MODEL_MAX_CHARS
from app.db.writer import Writer
from app.metrics import Metrics
from app.tracing.genai import TurnOutcome, TurnSpans, end_turn_span, span_ids
from app.transcripts import turns
from app.transcripts.model import TaskView, Turn

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.1
INTERRUPTED = "The server stopped before the agent finished."
UNEXPECTED = "The agent failed unexpectedly."


@dataclass
class _Job:
    request: AgentRequest
    pending: list[str] = field(default_factory=list)
    model: str | None = None
    stop_requested: bool = False
    finishing: bool = False  # no more streamed writes: the finish takes what is left
    flushing: asyncio.Task[bool] | None = None
    timer: asyncio.TimerHandle | None = None
    last_flush: float = field(default_factory=time.monotonic)
    span: Span | None = None  # the turn's trace span, when tracing is on
    usage: UsageReported | None = None
    error_type: str | None = None
    started: float = field(default_factory=time.monotonic)
    first_text: float | None = None  # seconds from the start to the agent's first text
    ended: bool = False  # its end was counted (shutdown may finish a job a second time)

    def take(self) -> str:
        text = "".join(self.pending)
        self.pending.clear()
        return text


class TaskRunner:
    def __init__(
        self,
        *,
        writer: Writer,
        agent: Agent,
        spans: TurnSpans | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._writer = writer
        self.agent = agent
        self._spans = spans
        self._metrics = metrics
        self._jobs: dict[str, tuple[asyncio.Task[None], _Job]] = {}

    @property
    def topic(self) -> str:
        """Where the agent's requests and responses are logged in a task's events."""
        return f"agent/{self.agent.name}"

    @property
    def running(self) -> int:
        return len(self._jobs)

    def start(self, task: TaskView, history: tuple[Turn, ...]) -> None:
        request = AgentRequest(task.session_id, task.id, task.user_id, task.request_text, history)
        job = _Job(request, model=task.model)
        runner = asyncio.create_task(self._run(job), name=f"agent-task-{task.id}")
        self._jobs[task.id] = (runner, job)
        runner.add_done_callback(lambda _: self._jobs.pop(task.id, None))

    async def stop(self, task_id: str) -> bool:
        """Stop the task's job if it runs in this process; it ends `cancelled` with the text
        so far. False when there is none here (the caller records the stop itself)."""
        found = self._jobs.get(task_id)
        if found is None:
            return False
        runner, job = found
        job.stop_requested = True
        runner.cancel()
        await asyncio.wait([runner])
        return True

    async def shutdown(self) -> None:
        jobs = dict(self._jobs)
        for runner, _job in jobs.values():
            runner.cancel()
        await asyncio.gather(*(runner for runner, _job in jobs.values()), return_exceptions=True)
        # A job cancelled before it ever ran never reached its own clean-up: end its task here.
        # (Finishing a task that already ended is a no-op.)
        for _runner, job in jobs.values():
            await self._finish(job, "failed", INTERRUPTED)
        await self.agent.close()

    async def _run(self, job: _Job) -> None:
        if self._spans is not None:
            request = job.request
            job.span = self._spans.start(
                session_id=request.session_id, task_id=request.task_id, model=job.model
            )
        try:
            # aclosing: however the loop ends, the agent's generator (and its request) closes now.
            async with aclosing(self.agent.reply(job.request)) as chunks:
                async for chunk in chunks:
                    # Upstream text is stored as it comes, so it meets the boundary rule
                    # here: repaired, since a reply cannot be refused.
                    if isinstance(chunk, ModelReported):
                        job.model = repaired(chunk.name)[:MODEL_MAX_CHARS]
                        continue
                    if isinstance(chunk, UsageReported):
                        job.usage = chunk
                        continue
                    if job.first_text is None:
                        job.first_text = time.monotonic() - job.started
                    job.pending.append(repaired(chunk))
                    self._schedule_flush(job)
            await self._finish(job, "completed", None)
        except asyncio.CancelledError:
            if job.stop_requested:
                await asyncio.shield(self._finish(job, "cancelled", None))
                return  # a stop is this job's normal end, not the runner's cancellation
            job.error_type = "interrupted"
            await asyncio.shield(self._finish(job, "failed", INTERRUPTED))
            raise
        except AgentError as exc:
            job.error_type = "agent_error"
            log.warning(
                "agent %s failed task %s: %s (%s)",
                self.agent.name,
                job.request.task_id,
                exc,
                redaction.text(exc.detail) if exc.detail else "no detail",
            )
            await self._finish(job, "failed", repaired(str(exc)))
        except Exception as exc:
            job.error_type = type(exc).__name__
            log.exception("agent failed on task %s", job.request.task_id)
            await self._finish(job, "failed", UNEXPECTED)
        finally:
            if job.timer is not None:
                job.timer.cancel()

    def _schedule_flush(self, job: _Job) -> None:
        if job.finishing or job.timer is not None or job.flushing is not None:
            return  # one is due already (or the finish) and will take this text too
        wait = FLUSH_SECONDS - (time.monotonic() - job.last_flush)
        if wait <= 0:
            self._flush(job)
        else:
            job.timer = asyncio.get_running_loop().call_later(wait, self._flush, job)

    def _flush(self, job: _Job) -> None:
        job.timer = None
        job.last_flush = time.monotonic()
        job.flushing = asyncio.create_task(self._write(job, job.take()))

    async def _write(self, job: _Job, text: str) -> bool:
        try:
            running = await turns.append_reply(self._writer, task_id=job.request.task_id, text=text)
        except Exception:
            log.exception("could not record streamed text of task %s", job.request.task_id)
            job.pending.insert(0, text)  # the next write or the finish takes it
            running = True
        job.flushing = None
        if not running:
            # Stopped elsewhere (another instance, the push API): stop the upstream too.
            found = self._jobs.get(job.request.task_id)
            if found is not None:
                job.stop_requested = True
                found[0].cancel()
        elif job.pending:
            self._schedule_flush(job)
        return running

    async def _finish(self, job: _Job, status: str, error: str | None) -> None:
        job.finishing = True
        if self._metrics is not None and not job.ended:
            seconds = time.monotonic() - job.started
            self._metrics.agent_turn(status, seconds, job.first_text)
        job.ended = True
        if job.timer is not None:
            job.timer.cancel()
            job.timer = None
        if job.flushing is not None:
            # The last streamed write lands before the end, or its text would be refused.
            await asyncio.wait([job.flushing])
        ids = span_ids(job.span) if job.span is not None else None
        try:
            await turns.finish_reply(
                self._writer,
                task_id=job.request.task_id,
                text=job.take(),
                status=status,
                error=error,
                topic=f"{self.topic}/response",
                model=job.model,
                span=(ids.trace_id, ids.span_id) if ids is not None else None,
            )
        except Exception:
            log.exception("could not record the end of task %s", job.request.task_id)
        if job.span is not None:
            usage = job.usage or UsageReported(None, None)
            outcome = TurnOutcome(
                status,
                error,
                job.error_type,
                job.model,
                usage.input_tokens,
                usage.output_tokens,
            )
            end_turn_span(job.span, outcome)
            job.span = None  # a second finish (at shutdown) ends nothing twice
