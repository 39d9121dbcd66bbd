"""What one client may take: request sizes, open streams, and rate budgets."""

from __future__ import annotations

from limits import parse
from pydantic import Field, field_validator
from pydantic.config import JsonDict

from app.config.base import Frozen


class LimitsSettings(Frozen):
    max_body_bytes: int = Field(
        65536, ge=1024, description="Largest accepted request body; larger gets `413`."
    )
    streams_per_user: int = Field(
        16,
        ge=1,
        le=100_000,
        description="Event streams one user (or one operator key) may hold open at once, per "
        "instance: the widget's and the console's together. Past it: `429`. A browser opens at "
        "most 6 connections to one host over HTTP/1.1, so a user with several tabs, an embed and "
        "a phone stays well below the default.",
    )
    streams_per_address: int = Field(
        256,
        ge=1,
        le=100_000,
        description="Event streams one client address may hold open at once, per instance (an "
        "office behind one NAT address shares it). Past it: `429`. Behind a proxy, set "
        "`server.forwarded_allow_ips`, or every client shares the proxy's address.",
    )


RATE: JsonDict = {"doc_type": "rate"}


class RateSettings(Frozen):
    per_user: str = Field(description="Per user; an API key counts as one.", json_schema_extra=RATE)
    per_address: str = Field(description="Per client address.", json_schema_extra=RATE)

    @field_validator("per_user", "per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate like 10/minute or 100 per hour") from None
        return value


class RateLimitSettings(Frozen):
    enabled: bool = Field(True, description="Turn budgets on or off.")
    storage_url: str = Field(
        "memory://",
        description="Memory counts per process; Redis makes several server processes share one "
        "budget. If the store is unreachable, requests pass and an ERROR is logged.",
        json_schema_extra={"doc_type": "`memory://`, `redis://host:port` or `rediss://…`"},
    )
    key_prefix: str = Field(
        "feedback-widget",
        min_length=1,
        description="What the budgets' Redis keys start with (the live fan-out has its own, "
        "`sse.key_prefix`).",
    )
    feedback: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="10/minute", per_address="60/minute"),
        description="Feedback submissions (API and widget).",
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
        description="Sign-in attempts on the operator console, successful or not. A sign-in "
        "has no user yet, so the address decides.",
    )
    chats: RateSettings = Field(
        default_factory=lambda: RateSettings(per_user="20/minute", per_address="120/minute"),
        description="New chats: the widget's **New chat** (`POST /chat`) and the push API's "
        "`POST /api/v1/sessions`. A person starts a few chats an hour; these stop one token (or "
        "one dev-mode browser) from creating hundreds. An API key counts as one user: a platform "
        "that creates chats for many people through one key and one address should raise both "
        '(see "Limits on one client").',
    )

    @field_validator("storage_url")
    @classmethod
    def _storage(cls, url: str) -> str:
        if not url.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or a redis:// URL")
        return url
