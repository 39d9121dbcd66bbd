"""Settings for the key registry, feedback tokens and the SDK dialects under /compat."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.bounds import ID_PATTERN
from app.config.base import Frozen

KeyType = Literal["boolean", "numeric", "continuous", "categorical", "freeform"]
KEY_NAME = re.compile(ID_PATTERN)
KEY_MAX_CHARS = 64
# AgentSight's SDK refuses any other key before it sends a request.
AGENTSIGHT_KEY = re.compile(r"^ags_[a-f0-9]{32}_[a-f0-9]{6}$", re.IGNORECASE)


class CategorySettings(Frozen):
    value: float = Field(description="The score a choice stores.")
    label: str = Field(min_length=1, max_length=255, description="What the choice is called.")


class FeedbackKeySettings(Frozen):
    name: str = Field(description="The key, e.g. `accuracy`.")
    type: KeyType = Field(description="boolean, numeric, continuous, categorical or freeform.")
    min: float | None = Field(None, description="Lowest score (numeric and continuous).")
    max: float | None = Field(None, description="Highest score (numeric and continuous).")
    categories: tuple[CategorySettings, ...] = Field(
        (), description="The choices of a categorical key."
    )
    one_per_target: bool = Field(
        True, description="Refuse a second submission of this key for the same task or session."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if len(name) > KEY_MAX_CHARS or not KEY_NAME.match(name):
            raise ValueError("must be 1-64 letters, digits, and _ . : -, starting alphanumeric")
        return name

    @model_validator(mode="after")
    def _shape(self) -> FeedbackKeySettings:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        if self.type == "categorical" and not self.categories:
            raise ValueError("a categorical key needs categories")
        if self.type != "categorical" and self.categories:
            raise ValueError("only categorical keys have categories")
        return self

    def config(self) -> dict[str, Any]:
        """The registry's JSON form of this key (VoltAgent's feedback_config shape)."""
        config: dict[str, Any] = {"type": self.type}
        if self.min is not None:
            config["min"] = self.min
        if self.max is not None:
            config["max"] = self.max
        if self.categories:
            config["categories"] = [c.model_dump() for c in self.categories]
        return config


class TrodoSettings(Frozen):
    site_ids: tuple[str, ...] = Field(
        min_length=1, description="Accepted `X-Trodo-Site-Id` values; use `${VAR}`."
    )


class AgentSightSettings(Frozen):
    api_keys: tuple[str, ...] = Field(
        min_length=1, description="Accepted `Api-Key` values (`ags_<32 hex>_<6 hex>`)."
    )
    agent_id: int = Field(1, ge=1, description="The agent id `GET /api/me/` reports.")

    @field_validator("api_keys")
    @classmethod
    def _format(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        for key in keys:
            if not AGENTSIGHT_KEY.match(key):
                raise ValueError("AgentSight keys look like ags_<32 hex>_<6 hex>")
        return keys


class PortkeySettings(Frozen):
    api_keys: tuple[str, ...] = Field(
        min_length=1, description="Accepted `x-portkey-api-key` values."
    )


class VoltAgentKeyPair(Frozen):
    public_key: str = Field(pattern=r"^pk_", description="`X-Public-Key`, starting `pk_`.")
    secret_key: str = Field(pattern=r"^sk_", description="`X-Secret-Key`, starting `sk_`.")


class VoltAgentSettings(Frozen):
    key_pairs: tuple[VoltAgentKeyPair, ...] = Field(
        min_length=1, description="Accepted public/secret key pairs."
    )


class CompatSettings(Frozen):
    trodo: TrodoSettings | None = Field(None, description="Enables `/compat/trodo`.")
    agentsight: AgentSightSettings | None = Field(None, description="Enables `/compat/agentsight`.")
    portkey: PortkeySettings | None = Field(None, description="Enables `/compat/portkey/v1`.")
    voltagent: VoltAgentSettings | None = Field(None, description="Enables `/compat/voltagent`.")


class FeedbackTokenSettings(Frozen):
    default_ttl_seconds: int = Field(
        86_400, ge=60, description="Lifetime of a feedback link when the request names none."
    )
    max_ttl_seconds: int = Field(
        30 * 86_400, ge=60, description="Longest lifetime a feedback link may be given."
    )
