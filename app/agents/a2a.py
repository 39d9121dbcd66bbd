"""An A2A agent (the protocol Solace Agent Mesh agents speak), streamed with the `a2a-sdk`
client. One chat session is one A2A context: every turn carries the session id as its
`contextId`, so the agent keeps its own memory of the conversation."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Iterable

import httpx
from a2a.client import A2AClientError, Client, ClientConfig, create_client
from a2a.types import (
    CancelTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    TaskState,
)

from app.agents.base import AgentError, AgentRequest, Chunk
from app.agents.failures import cut_off, from_httpx, http_status, too_slow
from app.config.agent import A2AAgentSettings
from app.i18n.catalogs import N_

log = logging.getLogger(__name__)
WHAT = "agent"
CANCEL_SECONDS = 5.0
_ENDED = {
    TaskState.TASK_STATE_FAILED: N_("The agent reported that the task failed"),
    TaskState.TASK_STATE_REJECTED: N_("The agent declined the task"),
    TaskState.TASK_STATE_CANCELED: N_("The agent cancelled the task"),
    TaskState.TASK_STATE_AUTH_REQUIRED: N_(
        "The agent needs an authorisation this chat cannot give"
    ),
}
_DONE = {TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_INPUT_REQUIRED, *_ENDED}


def _text(parts: Iterable[Part]) -> str:
    return "".join(part.text for part in parts)


class A2AAgent:
    type = "a2a"
    model: str | None = None  # A2A does not name models; the card's name is the agent's
    history_turns = 0  # the agent remembers its context itself

    def __init__(self, settings: A2AAgentSettings) -> None:
        self.name = settings.name
        self._settings = settings
        self._http = httpx.AsyncClient(
            headers=settings.headers,
            timeout=httpx.Timeout(settings.timeout_seconds, connect=10.0),
        )
        self._client: Client | None = None
        self._connecting = asyncio.Lock()

    async def _connected(self) -> Client:
        """The client, made from the agent card the first time it is needed (and again
        after a failure, so an agent that starts after this server is found)."""
        async with self._connecting:
            if self._client is None:
                self._client = await create_client(
                    self._settings.url, client_config=ClientConfig(httpx_client=self._http)
                )
            return self._client

    async def reply(self, request: AgentRequest) -> AsyncGenerator[Chunk, None]:
        message = Message(
            role=Role.ROLE_USER,
            message_id=str(uuid.uuid4()),
            context_id=request.session_id,
            parts=[Part(text=request.text)],
        )
        remote_task = ""
        streamed = False
        done = False
        try:
            client = await self._connected()
            async for event in client.send_message(SendMessageRequest(message=message)):
                remote_task = remote_task or _task_id(event)
                text, state = _read(event, streamed)
                if text:
                    streamed = True
                    yield text
                if state in _ENDED:
                    detail = f"A2A task {remote_task}: {TaskState.Name(state)}"
                    raise AgentError(_ended(state, event), detail)
                done = done or state in _DONE
        except asyncio.CancelledError:
            if remote_task and not done:
                await asyncio.shield(self._cancel(remote_task))
            raise
        except A2AClientError as exc:
            raise self._failure(exc) from None
        if not done:
            raise cut_off(WHAT, "the stream ended before the task did")

    async def _cancel(self, remote_task: str) -> None:
        """Stop means stop: closing the stream alone leaves an A2A task running."""
        try:
            client = await self._connected()
            async with asyncio.timeout(CANCEL_SECONDS):
                await client.cancel_task(CancelTaskRequest(id=remote_task))
        except Exception as exc:  # the user already sees "stopped"; the log says why
            log.warning("could not cancel A2A task %s: %s", remote_task, exc)

    def _failure(self, exc: A2AClientError) -> AgentError:
        cause = exc.__cause__
        if isinstance(cause, httpx.HTTPError):
            return from_httpx(cause, self._settings.url, WHAT, self._timeout)
        if "timed out" in str(exc).lower():
            return too_slow(self._timeout, str(exc))
        status = getattr(exc, "status_code", None)
        if isinstance(status, int):
            return http_status(WHAT, status, str(exc))
        return AgentError(N_("The agent sent an answer this server cannot read."), str(exc))

    @property
    def _timeout(self) -> float:
        return self._settings.timeout_seconds

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        await self._http.aclose()


def _task_id(event: StreamResponse) -> str:
    if event.HasField("task"):
        return event.task.id
    if event.HasField("status_update"):
        return event.status_update.task_id
    if event.HasField("artifact_update"):
        return event.artifact_update.task_id
    return ""


def _read(event: StreamResponse, streamed: bool) -> tuple[str, TaskState | None]:
    """The reply text an event adds, and the task state it reports.

    Artifacts are the answer. Status messages are shown as they come (agents that stream
    through status updates, or ask a question with input-required), except a completed
    status's message after streamed text, which repeats it. A whole task or message counts
    only if nothing streamed before it, for the same reason."""
    if event.HasField("artifact_update"):
        return _text(event.artifact_update.artifact.parts), None
    if event.HasField("status_update"):
        status = event.status_update.status
        repeats = status.state == TaskState.TASK_STATE_COMPLETED and streamed
        shown = status.state not in _ENDED and not repeats
        return (_text(status.message.parts) if shown else ""), status.state
    if event.HasField("message"):
        return ("" if streamed else _text(event.message.parts)), TaskState.TASK_STATE_COMPLETED
    task = event.task
    text = "" if streamed else "".join(_text(artifact.parts) for artifact in task.artifacts)
    return text, task.status.state


def _ended(state: TaskState, event: StreamResponse) -> str:
    said = ""
    if event.HasField("status_update"):
        said = _text(event.status_update.status.message.parts).strip()
    elif event.HasField("task"):
        said = _text(event.task.status.message.parts).strip()
    first_line = said.splitlines()[0][:200] if said else ""
    return f"{_ENDED[state]}: {first_line}" if first_line else f"{_ENDED[state]}."
