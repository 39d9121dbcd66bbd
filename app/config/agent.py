"""The agent that answers chat messages."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.config.base import Frozen


class AgentSettings(Frozen):
    type: Literal["echo"] = Field("echo", description="`echo` is the built-in demo agent.")
    name: str = Field("Echo agent", min_length=1, description="Agent name shown in the widget.")
    stream_seconds: float = Field(
        1.0, ge=0, le=60, description="How long the echo agent takes to stream a reply."
    )
