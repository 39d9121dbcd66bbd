"""An AG-UI endpoint: a run is POSTed as `RunAgentInput` and answered with a stream of
events, read with `ag-ui-protocol`'s own types over httpx. The chat session is the thread;
its recent turns go as the thread's messages."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Any

import httpx
from ag_ui.core import (
    AssistantMessage,
    Event,
    EventType,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    TokenUsage,
    UserMessage,
)
from httpx_sse import SSEError, aconnect_sse
from pydantic import TypeAdapter, ValidationError

from app.agents.base import AgentError, AgentRequest, Chunk, ModelReported, UsageReported
from app.agents.failures import cut_off, from_httpx
from app.config.agent import AGUIAgentSettings
from app.i18n.catalogs import N_

WHAT = "agent"
_EVENT: TypeAdapter[Any] = TypeAdapter(Event)
_KNOWN = {member.value for member in EventType}
_TEXT = {EventType.TEXT_MESSAGE_CONTENT, EventType.TEXT_MESSAGE_CHUNK}


class AGUIAgent:
    type = "agui"
    model: str | None = None  # until a run reports its usage

    def __init__(self, settings: AGUIAgentSettings) -> None:
        self.name = settings.name
        self.history_turns = settings.history_turns
        self._settings = settings
        self._http = httpx.AsyncClient(
            headers=settings.headers,
            timeout=httpx.Timeout(settings.timeout_seconds, connect=10.0),
        )

    def run_input(self, request: AgentRequest) -> RunAgentInput:
        messages: list[Any] = []
        for n, turn in enumerate(request.history):
            messages.append(UserMessage(id=f"{request.task_id}-h{n}u", content=turn.request_text))
            messages.append(
                AssistantMessage(id=f"{request.task_id}-h{n}a", content=turn.response_text)
            )
        messages.append(UserMessage(id=request.task_id, content=request.text))
        return RunAgentInput(
            thread_id=request.session_id,
            run_id=str(uuid.uuid4()),
            messages=messages,
            protocol_version="1.0",
        )

    async def reply(self, request: AgentRequest) -> AsyncGenerator[Chunk, None]:
        body = self.run_input(request).model_dump_json(by_alias=True)
        url = self._settings.url
        finished = False
        try:
            async with aconnect_sse(
                self._http,
                "POST",
                url,
                content=body,
                headers={"Content-Type": "application/json"},
            ) as source:
                source.response.raise_for_status()
                async for sse in source.aiter_sse():
                    event = _parse(sse.data)
                    if event is None:
                        continue
                    if event.type in _TEXT and getattr(event, "role", None) in (None, "assistant"):
                        if event.delta:
                            yield event.delta
                    elif isinstance(event, RunErrorEvent):
                        raise AgentError(_run_error(event), f"RUN_ERROR {event.code or ''}")
                    elif isinstance(event, RunFinishedEvent):
                        for usage in event.usage or ():
                            if usage.model:
                                yield ModelReported(usage.model)
                                break
                        if event.usage:
                            yield _tokens(event.usage)
                        _check_outcome(event)
                        finished = True
                        break
        except SSEError as exc:
            raise AgentError(
                N_("The agent did not answer with an event stream."), str(exc)
            ) from None
        except httpx.HTTPError as exc:
            raise from_httpx(exc, url, WHAT, self._settings.timeout_seconds) from None
        if not finished:
            raise cut_off(WHAT, "the stream ended without RUN_FINISHED or RUN_ERROR")

    async def close(self) -> None:
        await self._http.aclose()


def _parse(data: str) -> Any:
    """An event, or None for one of a type this protocol version does not define (a newer
    producer's); a malformed event of a known type is the agent's error."""
    try:
        return _EVENT.validate_json(data)
    except ValidationError as exc:
        kind = _type_of(data)
        if kind is not None and kind not in _KNOWN:
            return None
        raise AgentError(N_("The agent sent an event this server cannot read."), str(exc)) from None


def _type_of(data: str) -> str | None:
    try:
        parsed = TypeAdapter(dict[str, Any]).validate_json(data)
    except ValidationError:
        return None
    kind = parsed.get("type")
    return kind if isinstance(kind, str) else None


def _tokens(usage: list[TokenUsage]) -> UsageReported:
    """The run's token counts, summed over the models it used (a count no entry has: None)."""
    given_in = [entry.input_tokens for entry in usage if entry.input_tokens is not None]
    given_out = [entry.output_tokens for entry in usage if entry.output_tokens is not None]
    return UsageReported(sum(given_in) if given_in else None, sum(given_out) if given_out else None)


def _run_error(event: RunErrorEvent) -> str:
    said = event.message.strip().splitlines()[0][:200] if event.message.strip() else ""
    return f"The agent reported an error: {said}" if said else N_("The agent reported an error.")


def _check_outcome(event: RunFinishedEvent) -> None:
    outcome = event.outcome.type if event.outcome is not None else "success"
    if outcome == "cancelled":
        raise AgentError(N_("The agent cancelled the run."), "RUN_FINISHED outcome cancelled")
    if outcome == "interrupt":
        raise AgentError(
            N_("The agent paused for an approval this chat cannot give."),
            "RUN_FINISHED outcome interrupt",
        )
