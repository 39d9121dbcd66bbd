"""The built-in demo agent: no network, a short Markdown reply streamed word by word."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator

from app.agents.base import AgentError, AgentRequest, Chunk
from app.i18n.catalogs import N_

FAIL_COMMAND = "/fail"


class EchoAgent:
    type = "echo"
    model: str | None = "echo-1"
    history_turns = 0

    def __init__(self, *, name: str, stream_seconds: float) -> None:
        self.name = name
        self.stream_seconds = stream_seconds

    def compose(self, request: AgentRequest) -> str:
        quoted = "\n".join(f"> {line}" for line in request.text.strip().splitlines()) or "> …"
        return (
            f"**You said:**\n\n{quoted}\n\n"
            "This reply comes from the built-in *echo* agent. "
            "It repeats your message so you can try the widget without a model. "
            "Rate this response with the thumbs below once it finishes."
        )

    async def close(self) -> None:
        pass

    async def reply(self, request: AgentRequest) -> AsyncGenerator[Chunk, None]:
        if request.text.strip().lower().startswith(FAIL_COMMAND):
            await asyncio.sleep(self.stream_seconds / 4)
            raise AgentError(N_("The echo agent was asked to fail (message started with /fail)."))
        # Split after whitespace so every chunk keeps its own separator and Markdown survives.
        chunks = re.findall(r"\S+\s*|\s+", self.compose(request))
        delay = self.stream_seconds / max(len(chunks), 1)
        for chunk in chunks:
            if delay:
                await asyncio.sleep(delay)
            yield chunk
