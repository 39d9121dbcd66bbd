"""An OpenAI-compatible Chat Completions endpoint (OpenAI, vLLM, llama.cpp, Ollama, LiteLLM),
streamed through the `openai` client."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import openai
from openai.types.chat import ChatCompletionMessageParam

from app.agents.base import AgentError, AgentRequest, Chunk, ModelReported, UsageReported
from app.agents.failures import cut_off, http_status, too_slow, unreachable
from app.config.agent import OpenAIAgentSettings

WHAT = "model server"
# The client insists on a key. Servers that check none ignore this one; it is never taken
# from OPENAI_API_KEY behind the operator's back.
NO_KEY = "no-key-configured"


class OpenAIAgent:
    type = "openai"

    def __init__(self, settings: OpenAIAgentSettings) -> None:
        self.name = settings.name
        self.model: str | None = settings.model
        self.history_turns = settings.history_turns
        self._settings = settings
        # Retries would repeat a half-streamed answer; a failure is shown and can be retried.
        self._client = openai.AsyncOpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or NO_KEY,
            timeout=settings.timeout_seconds,
            max_retries=0,
        )

    def messages(self, request: AgentRequest) -> list[ChatCompletionMessageParam]:
        """The system prompt, the earlier turns the request carries, then this message."""
        sent: list[ChatCompletionMessageParam] = []
        if self._settings.system_prompt:
            sent.append({"role": "system", "content": self._settings.system_prompt})
        for turn in request.history:
            sent.append({"role": "user", "content": turn.request_text})
            sent.append({"role": "assistant", "content": turn.response_text})
        sent.append({"role": "user", "content": request.text})
        return sent

    async def reply(self, request: AgentRequest) -> AsyncGenerator[Chunk, None]:
        settings = self._settings
        reported = None
        finished = False
        try:
            stream = await self._client.chat.completions.create(
                model=settings.model,
                messages=self.messages(request),
                stream=True,
                user=request.user_id,
                temperature=openai.omit if settings.temperature is None else settings.temperature,
                max_tokens=openai.omit if settings.max_tokens is None else settings.max_tokens,
                # The last chunk then counts the tokens (for the turn's trace span).
                stream_options={"include_usage": True},
            )
            async with stream:
                async for chunk in stream:
                    if chunk.model and chunk.model != reported:
                        reported = chunk.model
                        yield ModelReported(chunk.model)
                    if chunk.usage is not None:
                        yield UsageReported(
                            chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                        )
                    for choice in chunk.choices:
                        if choice.delta.content:
                            yield choice.delta.content
                        finished = finished or choice.finish_reason is not None
        except openai.APIError as exc:
            raise self._failure(exc) from None
        if not finished:
            # Every compatible server ends a choice with a finish_reason; a stream without
            # one was cut, even when the connection closed politely.
            raise cut_off(WHAT, "the stream ended without a finish_reason")

    def _failure(self, exc: openai.APIError) -> AgentError:
        detail = f"{type(exc).__name__}: {exc.message}"
        if isinstance(exc, openai.APITimeoutError):
            return too_slow(self._settings.timeout_seconds, detail)
        if isinstance(exc, openai.APIConnectionError):
            # Before any byte arrived the server was unreachable; after, the stream was cut.
            if exc.__cause__ is not None and "connect" in type(exc.__cause__).__name__.lower():
                return unreachable(self._settings.base_url, WHAT, detail)
            return cut_off(WHAT, detail)
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code == 404:
                return AgentError(
                    f"The model server does not know the model {self._settings.model!r} "
                    "(HTTP 404).",
                    detail,
                )
            return http_status(WHAT, exc.status_code, detail)
        return AgentError("The model server sent an answer this server cannot read.", detail)

    async def close(self) -> None:
        await self._client.close()
