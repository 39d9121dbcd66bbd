"""Chat agents: anything that turns a request into a stream of Markdown chunks."""

from __future__ import annotations

from app.config.agent import AgentSettings
from app.transcripts.agents.base import Agent, AgentError, AgentRequest, Turn
from app.transcripts.agents.echo import EchoAgent

__all__ = ["Agent", "AgentError", "AgentRequest", "EchoAgent", "Turn", "build_agent"]


def build_agent(settings: AgentSettings) -> Agent:
    if settings.type == "echo":
        return EchoAgent(name=settings.name, stream_seconds=settings.stream_seconds)
    raise ValueError(f"unknown agent type {settings.type!r}")  # unreachable: settings validate it
