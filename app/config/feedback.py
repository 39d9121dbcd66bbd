"""Settings for the key registry, feedback tokens and the SDK dialects under /compat."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.bounds import ID_PATTERN
from app.config.base import Frozen
from app.i18n.catalogs import Language

KeyType = Literal["boolean", "numeric", "continuous", "categorical", "freeform"]
KEY_NAME = re.compile(ID_PATTERN)
KEY_MAX_CHARS = 64
# AgentSight's SDK refuses any other key before it sends a request.
AGENTSIGHT_KEY = re.compile(r"^ags_[a-f0-9]{32}_[a-f0-9]{6}$", re.IGNORECASE)


class CategorySettings(Frozen):
    value: float = Field(description="The score a choice stores.")
    label: str = Field(min_length=1, max_length=255, description="Its name, stored as the label.")


class FeedbackKeySettings(Frozen):
    name: str = Field(
        description="The key, e.g. `accuracy`.",
        json_schema_extra={"doc_type": f"1..{KEY_MAX_CHARS} of letters, digits, `_ . : -`"},
    )
    type: KeyType = Field(description="What its values look like.")
    min: float | None = Field(None, description="Lowest score (numeric, continuous).")
    max: float | None = Field(None, description="Highest score (numeric, continuous).")
    categories: tuple[CategorySettings, ...] = Field(
        (), description="The choices of a categorical key."
    )
    one_per_target: bool = Field(
        True,
        description="Refuse a second submission of this key for the same task or session (a "
        "database constraint).",
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
        min_length=1,
        description='Accepted `X-Trodo-Site-Id` values, e.g. `["${TRODO_SITE_ID}"]`.',
    )


class AgentSightSettings(Frozen):
    api_keys: tuple[str, ...] = Field(
        min_length=1,
        description="Accepted `Authorization: Api-Key …` values (the SDK refuses other formats "
        "before sending).",
        json_schema_extra={"doc_type": "list of `ags_<32 hex>_<6 hex>`"},
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
    public_key: str = Field(pattern=r"^pk_", description="The public key.")
    secret_key: str = Field(
        pattern=r"^sk_", description="The secret key; keep it in the environment with `${VAR}`."
    )


class VoltAgentSettings(Frozen):
    key_pairs: tuple[VoltAgentKeyPair, ...] = Field(
        min_length=1, description="Accepted `X-Public-Key` / `X-Secret-Key` pairs."
    )


class CompatSettings(Frozen):
    trodo: TrodoSettings | None = Field(None, description="Turns on `/compat/trodo`.")
    agentsight: AgentSightSettings | None = Field(
        None, description="Turns on `/compat/agentsight`."
    )
    portkey: PortkeySettings | None = Field(None, description="Turns on `/compat/portkey/v1`.")
    voltagent: VoltAgentSettings | None = Field(None, description="Turns on `/compat/voltagent`.")


class FeedbackTokenSettings(Frozen):
    default_ttl_seconds: int = Field(
        86_400, ge=60, description="Lifetime of a link when the request names none."
    )
    max_ttl_seconds: int = Field(
        30 * 86_400, ge=60, description="Longest lifetime a link may be given; longer is `400`."
    )


MAX_REASONS = 12
REASON_MAX_CHARS = 40


def _reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(reason.strip() for reason in reasons)
    if len(cleaned) > MAX_REASONS:
        raise ValueError(f"at most {MAX_REASONS} reasons (got {len(cleaned)})")
    for reason in cleaned:
        if not reason or len(reason) > REASON_MAX_CHARS:
            raise ValueError(f"each reason must be 1-{REASON_MAX_CHARS} characters ({reason!r})")
        if cleaned.count(reason) > 1:
            raise ValueError(f"reason {reason!r} is listed twice")
    return cleaned


class FeedbackReasonSettings(Frozen):
    up: tuple[str, ...] = Field(
        (),
        description=f"With a Like: at most {MAX_REASONS}, each 1..{REASON_MAX_CHARS} characters, "
        'no repeats, e.g. `["Accurate", "Clear"]`.',
    )
    down: tuple[str, ...] = Field(
        (),
        description='With a Dislike, likewise, e.g. `["Incorrect", "Not helpful", "Too long"]`.',
    )

    labels: dict[str, str | dict[Language, str]] = Field(
        {},
        description="What the modal shows for a reason, by its id (the text in `up`/`down`, "
        "which is what is stored and exported): one label for every language, or one per "
        'language, e.g. `{"Accurate": {"de": "Zutreffend", "fr": "Exact"}}`. A language '
        "without a label shows the English one (`en`), else the id.",
        json_schema_extra={"doc_type": "mapping of reason id to label or {locale: label}"},
    )

    _up = field_validator("up")(_reasons)
    _down = field_validator("down")(_reasons)

    @model_validator(mode="after")
    def _labels_name_offered_reasons(self) -> FeedbackReasonSettings:
        for reason, label in self.labels.items():
            if reason not in self.up and reason not in self.down:
                raise ValueError(f"labels names {reason!r}, which is not in up or down")
            texts = [label] if isinstance(label, str) else list(label.values())
            if any(not text.strip() or len(text) > REASON_MAX_CHARS for text in texts):
                raise ValueError(
                    f"each label of {reason!r} must be 1-{REASON_MAX_CHARS} characters"
                )
        return self

    def for_rating(self, rating: str | None) -> tuple[str, ...]:
        return self.up if rating == "up" else self.down if rating == "down" else ()

    def label(self, reason: str, locale: str) -> str:
        """What a reader of `locale` sees for `reason` (stored reasons stay ids)."""
        label = self.labels.get(reason)
        if label is None:
            return reason
        if isinstance(label, str):
            return label
        return label.get(locale) or label.get("en") or reason  # type: ignore[call-overload]
