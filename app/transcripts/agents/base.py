from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Turn:
    request_text: str
    response_text: str


@dataclass(frozen=True)
class AgentRequest:
    session_id: str
    task_id: str
    user_id: str
    text: str
    history: tuple[Turn, ...] = ()


class AgentError(Exception):
    """A failure the agent wants shown to the user as the task's error."""


class Agent(Protocol):
    name: str
    model: str | None

    def reply(self, request: AgentRequest) -> AsyncIterator[str]:
        """Yield the response in chunks; raise AgentError to fail the task with a message."""
        ...
