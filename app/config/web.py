"""What the web surfaces enforce: identity, live streams, embedding, request limits."""

from __future__ import annotations

from typing import Literal

from limits import parse
from pydantic import Field, field_validator

from app.config.base import Frozen

Scope = Literal["transcripts:write", "feedback:write", "feedback:read", "feedback:read:all"]
MIN_SECRET_BYTES = 32


class ApiKeySettings(Frozen):
    name: str = Field(min_length=1, description="Names the key in logs and error messages.")
    key: str = Field(
        min_length=16, description="The key itself; use `${VAR}` to keep it out of files."
    )
    scopes: tuple[Scope, ...] = Field((), description="What the key may do.")
    user_id: str | None = Field(
        None, description="The identity the key acts as; `api-key:<name>` when unset."
    )


class AuthSettings(Frozen):
    mode: Literal["dev", "token"] = Field(
        "dev", description="`dev`: every browser acts as default_user_id. `token`: signed JWTs."
    )
    default_user_id: str = Field(
        "dev_user", min_length=1, description="The user every request acts as in dev mode."
    )
    secret: str | None = Field(
        None, description="HS256 key end-user tokens are signed with; 32 bytes or more."
    )
    api_keys: tuple[ApiKeySettings, ...] = Field((), description="Operator and platform keys.")


class SSESettings(Frozen):
    ping_seconds: float = Field(15, gt=0, description="Keep-alive ping interval on event streams.")
    client_queue_size: int = Field(
        64, ge=1, description="Events buffered per client before a stalled client is dropped."
    )
    replay_buffer_size: int = Field(
        256, ge=1, description="Events kept per session for `Last-Event-ID` replay."
    )
    fanout_url: str = Field(
        "memory://",
        description="`memory://` (one process) or `redis://host:port/db` (`rediss://` for TLS): "
        "where live events meet, so every instance's pages hear every instance's writes.",
    )

    @field_validator("fanout_url")
    @classmethod
    def _fanout(cls, url: str) -> str:
        if url == "memory://":
            return url
        scheme, _, rest = url.partition("://")
        if scheme not in ("redis", "rediss") or not rest:
            raise ValueError("must be memory:// or a redis://host:port/db URL")
        return url

    @property
    def shared(self) -> bool:
        """Whether live events travel between instances (Redis) or stay in this process."""
        return self.fanout_url != "memory://"


class EmbedSettings(Frozen):
    allowed_origins: tuple[str, ...] = Field(
        (),
        description="Host-site origins allowed to frame the widget (CSP frame-ancestors) and to "
        "exchange postMessage events with it. The widget's own origin is always allowed.",
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or "*" in rest:
                raise ValueError(f"{origin!r} is not an origin like https://host.example[:port]")
        return origins


class RateSettings(Frozen):
    per_user: str = Field(description="Budget per user, e.g. `10/minute` (limits' notation).")
    per_address: str = Field(description="Budget per client address, e.g. `60/minute`.")

    @field_validator("per_user", "per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate like 10/minute or 100 per hour") from None
        return value


class RateLimitSettings(Frozen):
    enabled: bool = Field(True, description="Answer 429 with Retry-After past a budget.")
    storage_url: str = Field(
        "memory://",
        description="`memory://` (per process) or `redis://host:6379` (shared by processes).",
    )
    key_prefix: str = Field("feedback-widget", min_length=1, description="Redis key prefix.")
    feedback: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="10/minute", per_address="60/minute"),
        description="Feedback submissions.",
    )
    messages: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="30/minute", per_address="120/minute"),
        description="Chat messages sent from the widget.",
    )
    api: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="600/minute", per_address="1200/minute"),
        description="Every JSON API request.",
    )
    login: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="10/minute", per_address="10/minute"),
        description="Sign-in attempts on the operator console.",
    )
    chats: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="20/minute", per_address="120/minute"),
        description="New chats: the widget's New chat and the push API's POST /api/v1/sessions.",
    )

    @field_validator("storage_url")
    @classmethod
    def _storage(cls, url: str) -> str:
        if not url.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or a redis:// URL")
        return url


class WidgetSettings(Frozen):
    turns_per_page: int = Field(
        50,
        ge=1,
        le=500,
        description="Turns a chat page shows at first; older ones load on request.",
    )


class LimitsSettings(Frozen):
    max_body_bytes: int = Field(65536, ge=1024, description="Largest accepted request body.")
    # A browser opens at most 6 connections to one host over HTTP/1.1, so even several tabs
    # and an embed stay far below 16; an office behind one NAT address stays below 256.
    streams_per_user: int = Field(
        16,
        ge=1,
        le=100_000,
        description="Event streams one user (or operator key) may hold open at once, per "
        "server process: the widget's and the console's together.",
    )
    streams_per_address: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Event streams one client address may hold open at once, per server process.",
    )
