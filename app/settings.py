"""Typed, frozen settings loaded once from `shared_config.yaml`.

Every field carries a description; the README must document each key path
(`tests/test_readme.py` checks), and every load error names the key path.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from app.envsubst import format_path, substitute
from app.errors import ConfigError
from app.settings_feedback import CompatSettings, FeedbackKeySettings, FeedbackTokenSettings

log = logging.getLogger("feedback_widget.settings")
CONFIG_ENV_VAR = "FEEDBACK_WIDGET_CONFIG"
DEFAULT_CONFIG_PATH = "shared_config.yaml"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SessionServiceSettings(_Frozen):
    type: Literal["sql", "memory"] = Field(
        "memory", description="`sql` stores sessions in a database; `memory` keeps them in RAM."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; `sqlite:///file.db` or `postgresql://...` (sync forms are "
        "mapped to aiosqlite/asyncpg). Required when type is `sql`.",
    )
    default_behavior: Literal["PERSISTENT", "RUN_BASED"] = Field(
        "PERSISTENT", description="`PERSISTENT` keeps sessions across runs; `RUN_BASED` does not."
    )

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str | None) -> str | None:
        if url is None:
            return None
        scheme = url.split("://", 1)[0].split("+", 1)[0]
        if "://" not in url or scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return url

    @property
    def persistent(self) -> bool:
        return self.type == "sql" and self.default_behavior == "PERSISTENT"


class ServicesSettings(_Frozen):
    session_service: SessionServiceSettings = Field(
        default_factory=SessionServiceSettings, description="Where sessions and feedback live."
    )


class AgentSettings(_Frozen):
    type: Literal["echo"] = Field("echo", description="`echo` is the built-in demo agent.")
    name: str = Field("Echo agent", min_length=1, description="Agent name shown in the widget.")
    stream_seconds: float = Field(
        1.0, ge=0, le=60, description="How long the echo agent takes to stream a reply."
    )


Scope = Literal["transcripts:write", "feedback:write", "feedback:read", "feedback:read:all"]
MIN_SECRET_BYTES = 32


class ApiKeySettings(_Frozen):
    name: str = Field(min_length=1, description="Names the key in logs and error messages.")
    key: str = Field(
        min_length=16, description="The key itself; use `${VAR}` to keep it out of files."
    )
    scopes: tuple[Scope, ...] = Field((), description="What the key may do.")
    user_id: str | None = Field(
        None, description="The identity the key acts as; `api-key:<name>` when unset."
    )


class AuthSettings(_Frozen):
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


class SSESettings(_Frozen):
    ping_seconds: float = Field(15, gt=0, description="Keep-alive ping interval on event streams.")
    client_queue_size: int = Field(
        64, ge=1, description="Events buffered per client before a stalled client is dropped."
    )
    replay_buffer_size: int = Field(
        256, ge=1, description="Events kept per session for `Last-Event-ID` replay."
    )


class EmbedSettings(_Frozen):
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


class RateSettings(_Frozen):
    per_user: str = Field(description="Budget per user, e.g. `10/minute` (limits' notation).")
    per_address: str = Field(description="Budget per client address, e.g. `60/minute`.")

    @field_validator("per_user", "per_address")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate like 10/minute or 100 per hour") from None
        return value


class RateLimitSettings(_Frozen):
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

    @field_validator("storage_url")
    @classmethod
    def _storage(cls, url: str) -> str:
        if not url.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or a redis:// URL")
        return url


class LimitsSettings(_Frozen):
    max_body_bytes: int = Field(65536, ge=1024, description="Largest accepted request body.")


class BrokerSettings(_Frozen):
    url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="MQTT broker, `mqtt://` or `mqtts://`, `user:pass@` allowed (Solace PubSub+, "
        "Mosquitto, EMQX and HiveMQ all speak MQTT).",
    )
    client_id: str | None = Field(None, description="MQTT client id; generated when unset.")
    qos: Literal[0, 1, 2] = Field(1, description="MQTT quality of service for feedback events.")

    @field_validator("url")
    @classmethod
    def _mqtt_scheme(cls, url: str) -> str:
        if not url.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must be an mqtt:// or mqtts:// URL")
        return url


class WebhookSettings(_Frozen):
    url: str = Field(description="Receiver of an HTTP POST of each event's JSON.")
    secret: str = Field(min_length=1, description="HMAC-SHA256 key for the signature header.")

    @field_validator("url")
    @classmethod
    def _http_scheme(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url


class FeedbackPublishingSettings(_Frozen):
    enabled: bool = Field(False, description="Publish every feedback submission as an event.")
    topic: str = Field(
        "sam/feedback/v1", min_length=1, description="MQTT topic, used verbatim after substitution."
    )
    include_task_info: Literal["none", "summary", "stim"] = Field(
        "none", description="Task detail in each event: none, summary or stim (full event log)."
    )
    max_payload_size_bytes: int = Field(
        9_000_000, ge=1, description="A larger stim payload falls back to summary."
    )
    broker: BrokerSettings | None = Field(None, description="The MQTT broker; none means no MQTT.")
    webhooks: tuple[WebhookSettings, ...] = Field((), description="HTTP receivers of each event.")
    retry_max_seconds: float = Field(
        60, gt=0, description="Longest wait between delivery attempts (exponential backoff)."
    )
    warn_pending_seconds: float = Field(
        300, gt=0, description="Log a WARNING while an event has waited longer than this."
    )


class DataRetentionSettings(_Frozen):
    enabled: bool = Field(True, description="Delete old feedback and tasks on a schedule.")
    feedback_retention_days: int = Field(90, description="Feedback older than this is deleted.")
    task_retention_days: int = Field(90, description="Tasks (and their events) older than this.")
    cleanup_interval_hours: float = Field(24, description="Time between cleanup passes.")
    batch_size: int = Field(1000, description="Rows deleted per transaction (1..10000).")

    @model_validator(mode="before")
    @classmethod
    def _clamp(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        clamped = dict(data)
        for key, low, high in (
            ("feedback_retention_days", 1, None),
            ("task_retention_days", 1, None),
            ("cleanup_interval_hours", 1, None),
            ("batch_size", 1, 10_000),
        ):
            value = clamped.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue  # absent, or a type error the field itself reports
            if value < low:
                log.warning(
                    "data_retention.%s %s is below minimum %s; using %s", key, value, low, low
                )
                clamped[key] = low
            elif high is not None and value > high:
                log.warning(
                    "data_retention.%s %s exceeds maximum %s; using %s", key, value, high, high
                )
                clamped[key] = high
        return clamped


class AppConfig(_Frozen):
    frontend_collect_feedback: bool = Field(
        False, description="Show Like/Dislike after completed responses and accept feedback."
    )
    session_service: SessionServiceSettings | None = Field(
        None, description="Overrides `services.session_service` for this app."
    )
    agent: AgentSettings = Field(default_factory=AgentSettings, description="The chat agent.")
    auth: AuthSettings = Field(default_factory=AuthSettings, description="Identity settings.")
    sse: SSESettings = Field(default_factory=SSESettings, description="Live update streams.")
    limits: LimitsSettings = Field(default_factory=LimitsSettings, description="Request limits.")
    embed: EmbedSettings = Field(default_factory=EmbedSettings, description="Iframe embedding.")
    rate_limits: RateLimitSettings = Field(
        default_factory=RateLimitSettings, description="Request budgets."
    )
    feedback_publishing: FeedbackPublishingSettings = Field(
        default_factory=FeedbackPublishingSettings, description="Feedback events to MQTT/webhooks."
    )
    data_retention: DataRetentionSettings = Field(
        default_factory=DataRetentionSettings, description="Scheduled deletion of old rows."
    )
    public_url: str | None = Field(
        None,
        description="The server's public base URL, for absolute links it hands out (feedback "
        "links); taken from each request when unset.",
    )
    feedback_keys: tuple[FeedbackKeySettings, ...] = Field(
        (), description="Feedback keys to register at startup (the built-in `thumbs` always is)."
    )
    feedback_tokens: FeedbackTokenSettings = Field(
        default_factory=FeedbackTokenSettings, description="Single-use feedback links."
    )
    compat: CompatSettings = Field(
        default_factory=CompatSettings, description="Feedback SDK dialects; each off until set."
    )

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url.rstrip("/") if url else None

    @field_validator("feedback_keys")
    @classmethod
    def _unique_keys(cls, keys: tuple[FeedbackKeySettings, ...]) -> tuple[FeedbackKeySettings, ...]:
        names = [key.name for key in keys]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"key {name!r} is declared more than once")
        return keys


class AppSettings(_Frozen):
    name: str = Field(min_length=1, description="The app's name, used in logs.")
    app_config: AppConfig = Field(default_factory=AppConfig, description="The app's settings.")


class Settings(_Frozen):
    services: ServicesSettings = Field(
        default_factory=ServicesSettings, description="Shared services."
    )
    apps: tuple[AppSettings, ...] = Field(description="The app this server runs (exactly one).")

    @property
    def app(self) -> AppSettings:
        return self.apps[0]

    @property
    def session_service(self) -> SessionServiceSettings:
        return self.app.app_config.session_service or self.services.session_service

    @property
    def feedback(self) -> FeedbackAvailability:
        return FeedbackAvailability.of(self)


@dataclass(frozen=True)
class FeedbackAvailability:
    enabled: bool
    persistence_enabled: bool
    collect_requested: bool
    reason: str | None

    @classmethod
    def of(cls, settings: Settings) -> FeedbackAvailability:
        service = settings.session_service
        collect = settings.app.app_config.frontend_collect_feedback
        reason = None
        if service.type != "sql":
            reason = "Feedback requires session persistence; the session service type is memory."
        elif service.default_behavior != "PERSISTENT":
            reason = "Feedback requires session persistence; default_behavior is RUN_BASED."
        elif not collect:
            reason = "Feedback collection is disabled by frontend_collect_feedback: false."
        return cls(reason is None, service.persistent, collect, reason)


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read, substitute and validate a config file. Raises ConfigError with one line per fault."""
    env = os.environ if env is None else env
    config_path = Path(path or env.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)
    try:
        raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {config_path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{config_path} is not valid YAML: {exc}".replace("\n", " ")) from None
    return settings_from_mapping(raw if raw is not None else {}, env)


def settings_from_mapping(raw: Any, env: Mapping[str, str] | None = None) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError("<root>: the config must be a mapping of keys to values")
    data = substitute(raw, os.environ if env is None else env)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("\n".join(_describe(error) for error in exc.errors())) from None
    publishing = settings.apps[0].app_config.feedback_publishing if settings.apps else None
    if publishing and publishing.enabled and publishing.broker is None and not publishing.webhooks:
        raise ConfigError(
            "apps[0].app_config.feedback_publishing: enabled, but neither broker nor webhooks "
            "is set"
        )
    auth = settings.apps[0].app_config.auth if settings.apps else None
    if auth is not None and auth.mode == "token":
        length = len((auth.secret or "").encode())
        if length < MIN_SECRET_BYTES:
            raise ConfigError(
                f"apps[0].app_config.auth.secret: token mode needs a secret of at least "
                f"{MIN_SECRET_BYTES} bytes (got {length})"
            )
    if len(settings.apps) != 1:
        raise ConfigError(f"apps: exactly one app is required (got {len(settings.apps)})")
    if settings.session_service.type == "sql" and not settings.session_service.database_url:
        where = (
            "apps[0].app_config.session_service"
            if settings.app.app_config.session_service
            else "services.session_service"
        )
        raise ConfigError(f"{where}.database_url: required when type is 'sql'")
    return settings


def _describe(error: Any) -> str:
    path = format_path(tuple(error["loc"]))
    value = error.get("input")
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown key (value {shown})"
    if error["type"] == "missing":
        return f"{path}: required key is missing"
    # YAML has lists, not tuples.
    message = error["msg"].removeprefix("Value error, ").replace("Tuple should", "List should")
    return f"{path}: {message} (got {shown})"


def documented_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Every key path a config file may set, e.g. `apps[].app_config.agent.type`."""
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        annotation = info.annotation
        nested = _nested_model(annotation)
        if nested is None:
            yield path
            continue
        if annotation is not None and getattr(annotation, "__origin__", None) is tuple:
            path += "[]"
        yield path
        yield from documented_keys(nested, path)


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None
