"""What every agent is: something that turns a request into a stream of Markdown chunks."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Protocol

from app.transcripts.model import Turn


@dataclass(frozen=True)
class AgentRequest:
    session_id: str  # the conversation: OpenAI's history, A2A's contextId, AG-UI's threadId
    task_id: str
    user_id: str
    text: str
    history: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class ModelReported:
    """The upstream named the model that answered (the stream said so)."""

    name: str


@dataclass(frozen=True)
class UsageReported:
    """The upstream counted the tokens of this turn (either count may be missing)."""

    input_tokens: int | None
    output_tokens: int | None


Chunk = str | ModelReported | UsageReported


class AgentError(Exception):
    """A failure shown to the user as the task's one-line error. `detail` is for the log:
    what the upstream said, never a credential."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class Agent(Protocol):
    name: str
    type: str
    model: str | None  # the configured model, until the stream names one
    history_turns: int  # how many earlier completed turns a request carries

    def reply(self, request: AgentRequest) -> AsyncGenerator[Chunk, None]:
        """Yield the answer in chunks; raise AgentError to fail the task with a message.
        Cancelling the iteration cancels the upstream request."""
        ...

    async def close(self) -> None: ...
