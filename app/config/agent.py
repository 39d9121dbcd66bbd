"""The agent that answers chat messages: the echo demo, or a real one behind a protocol."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from app.config.base import Frozen

AGENT_TYPES = ("echo", "openai", "a2a", "agui")


def _http_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return url.rstrip("/")


class EchoAgentSettings(Frozen):
    type: Literal["echo"] = Field("echo", description="`echo` is the built-in demo agent.")
    name: str = Field("Echo agent", min_length=1, description="Agent name shown in the widget.")
    stream_seconds: float = Field(
        1.0, ge=0, le=60, description="How long the echo agent takes to stream a reply."
    )


class RemoteAgentSettings(Frozen):
    name: str = Field("Assistant", min_length=1, description="Agent name shown in the widget.")
    timeout_seconds: float = Field(
        60, gt=0, le=3600, description="Longest wait for the next part of an answer."
    )


class OpenAIAgentSettings(RemoteAgentSettings):
    type: Literal["openai"] = Field(description="Any OpenAI-compatible Chat Completions API.")
    base_url: str = Field(
        description="The API's base URL, e.g. `https://api.openai.com/v1` or a vLLM, "
        "llama.cpp, Ollama or LiteLLM server's `/v1`."
    )
    model: str = Field(min_length=1, description="The model to ask for.")
    api_key: str | None = Field(
        None, description="Sent as a Bearer token; keep it in the environment: `${VAR}`."
    )
    system_prompt: str | None = Field(None, description="Sent first in every request.")
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int | None = Field(None, ge=1, description="Longest answer, in tokens.")
    history_turns: int = Field(
        20, ge=0, le=200, description="Earlier completed turns of the chat sent as context."
    )

    _base_url = field_validator("base_url")(_http_url)


class A2AAgentSettings(RemoteAgentSettings):
    type: Literal["a2a"] = Field(description="An A2A agent, streamed with `message/stream`.")
    url: str = Field(description="The agent's base URL; its agent card is read from it.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra request headers, values from `${VAR}`."
    )

    _url = field_validator("url")(_http_url)


class AGUIAgentSettings(RemoteAgentSettings):
    type: Literal["agui"] = Field(description="An AG-UI endpoint (RunAgentInput in, events out).")
    url: str = Field(description="The endpoint a run is POSTed to.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra request headers, values from `${VAR}`."
    )
    history_turns: int = Field(
        20, ge=0, le=200, description="Earlier completed turns sent as the thread's messages."
    )

    _url = field_validator("url")(_http_url)


def _agent_type(value: Any) -> str:
    """The member a config chooses by its `type`; echo when it names none (as before there
    were other types, so older configs keep their meaning)."""
    if isinstance(value, dict):
        return str(value.get("type", "echo"))
    return str(getattr(value, "type", "echo"))


AgentSettings = Annotated[
    Annotated[EchoAgentSettings, Tag("echo")]
    | Annotated[OpenAIAgentSettings, Tag("openai")]
    | Annotated[A2AAgentSettings, Tag("a2a")]
    | Annotated[AGUIAgentSettings, Tag("agui")],
    Discriminator(_agent_type),
]
