"""The agent that answers chat messages: the echo demo, or a real one behind a protocol."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from app.config.base import HTTP_URL, Frozen

AGENT_TYPES = ("echo", "openai", "a2a", "agui")


def _http_url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return url.rstrip("/")


# Keys several agent types share, declared once; the README says which types have each.
AgentName = Annotated[str, Field(min_length=1, description="The name shown on agent bubbles.")]
HistoryTurns = Annotated[
    int,
    Field(
        ge=0,
        le=200,
        description="How many earlier completed turns of the chat go with each message as context.",
    ),
]
AgentHeaders = Annotated[
    dict[str, str],
    Field(description='Extra request headers, e.g. `Authorization: "Bearer ${AGENT_TOKEN}"`.'),
]


class EchoAgentSettings(Frozen):
    type: Literal["echo"] = Field(
        "echo",
        description="The built-in demo agent, with no network: it streams a short Markdown "
        "reply word by word, and a message starting with `/fail` makes it fail.",
    )
    name: AgentName = "Echo agent"
    stream_seconds: float = Field(
        1.0, ge=0, le=60, description="How long it takes to stream its reply."
    )


class RemoteAgentSettings(Frozen):
    name: AgentName = "Assistant"
    timeout_seconds: float = Field(
        60,
        gt=0,
        le=3600,
        description="The longest wait for the next part of an answer; past it the turn fails "
        'with "No answer within N s." (N being this value).',
    )


class OpenAIAgentSettings(RemoteAgentSettings):
    type: Literal["openai"] = Field(description="Any OpenAI-compatible Chat Completions endpoint.")
    base_url: str = Field(
        description="The API's base URL, up to `/v1`: `https://api.openai.com/v1`, or a vLLM, "
        "llama.cpp, Ollama (`http://localhost:11434/v1`) or LiteLLM server's.",
        json_schema_extra=HTTP_URL,
    )
    model: str = Field(
        min_length=1,
        description="The model to ask for. Each task records the model the stream names (else "
        "this one).",
    )
    api_key: str | None = Field(
        None,
        description="Sent as `Authorization: Bearer`. Keep it in the environment: "
        '`"${OPENAI_API_KEY}"`. Never taken from the environment unless named here, and never '
        "logged.",
    )
    system_prompt: str | None = Field(None, description="Sent first in every request.")
    temperature: float | None = Field(
        None, ge=0, le=2, description="Sampling temperature (the server's default when unset)."
    )
    max_tokens: int | None = Field(None, ge=1, description="The longest answer, in tokens.")
    history_turns: HistoryTurns = 20

    _base_url = field_validator("base_url")(_http_url)


class A2AAgentSettings(RemoteAgentSettings):
    type: Literal["a2a"] = Field(description="An A2A agent, streamed with `message/stream`.")
    url: str = Field(
        description="The agent's base URL; its agent card is read from "
        "`/.well-known/agent-card.json` under it.",
        json_schema_extra=HTTP_URL,
    )
    headers: AgentHeaders = Field(default_factory=dict)

    _url = field_validator("url")(_http_url)


class AGUIAgentSettings(RemoteAgentSettings):
    type: Literal["agui"] = Field(description="An AG-UI endpoint (`RunAgentInput` in, events out).")
    url: str = Field(description="The endpoint a run is POSTed to.", json_schema_extra=HTTP_URL)
    headers: AgentHeaders = Field(default_factory=dict)
    history_turns: HistoryTurns = 20

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
