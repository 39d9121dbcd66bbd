"""Chat agents: anything that turns a request into a stream of Markdown chunks."""

from __future__ import annotations

from app.agents.base import (
    Agent,
    AgentError,
    AgentRequest,
    Chunk,
    ModelReported,
    UsageReported,
)
from app.agents.echo import EchoAgent
from app.config.agent import (
    A2AAgentSettings,
    AgentSettings,
    AGUIAgentSettings,
    EchoAgentSettings,
    OpenAIAgentSettings,
)
from app.transcripts.model import Turn

__all__ = [
    "Agent",
    "AgentError",
    "AgentRequest",
    "Chunk",
    "EchoAgent",
    "ModelReported",
    "Turn",
    "UsageReported",
    "build_agent",
]


def build_agent(settings: AgentSettings) -> Agent:
    """The configured agent. The protocol clients are imported only when configured, so
    the echo demo starts without loading them."""
    if isinstance(settings, EchoAgentSettings):
        return EchoAgent(name=settings.name, stream_seconds=settings.stream_seconds)
    if isinstance(settings, OpenAIAgentSettings):
        from app.agents.openai import OpenAIAgent

        return OpenAIAgent(settings)
    if isinstance(settings, A2AAgentSettings):
        from app.agents.a2a import A2AAgent

        return A2AAgent(settings)
    if isinstance(settings, AGUIAgentSettings):
        from app.agents.agui import AGUIAgent

        return AGUIAgent(settings)
    raise TypeError(f"no agent for {type(settings).__name__}")
