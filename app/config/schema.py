"""The whole config file: one app's settings, composed from the per-concern models.

Every field's description is its help text: the README's config table is generated from the
fields (`app/config/docs.py`, `make docs`), and `tests/test_readme.py` compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, field_validator

from app.config.agent import AgentSettings, EchoAgentSettings
from app.config.auth import MIN_SECRET_BYTES, AuthSettings
from app.config.base import HTTP_URL, Frozen
from app.config.console import AdminSettings
from app.config.feedback import (
    CompatSettings,
    FeedbackKeySettings,
    FeedbackReasonSettings,
    FeedbackTokenSettings,
)
from app.config.limits import LimitsSettings, RateLimitSettings
from app.config.live import SSESettings
from app.config.observability import AlertSettings, LoggingSettings, ObservabilitySettings
from app.config.publishing import FeedbackPublishingSettings
from app.config.retention import DataRetentionSettings
from app.config.review import ReviewSettings
from app.config.server import ServerSettings
from app.config.services import ServicesSettings, SessionServiceSettings
from app.config.widget import EmbedSettings, WidgetSettings
from app.i18n.catalogs import N_


class AppConfig(Frozen):
    frontend_collect_feedback: bool = Field(
        False, description="Show Like/Dislike after completed responses and accept feedback."
    )
    session_service: SessionServiceSettings | None = Field(
        None, description="Overrides `services.session_service` for this app."
    )
    agent: AgentSettings = Field(
        default_factory=EchoAgentSettings,
        description='The agent that answers chat messages (see "Agents behind the chat").',
    )
    auth: AuthSettings = Field(
        default_factory=AuthSettings, description='Identity (see "Identity and access").'
    )
    sse: SSESettings = Field(default_factory=SSESettings, description="Live updates.")
    widget: WidgetSettings = Field(default_factory=WidgetSettings, description="The chat page.")
    limits: LimitsSettings = Field(default_factory=LimitsSettings, description="Request limits.")
    embed: EmbedSettings = Field(default_factory=EmbedSettings, description="Iframe embedding.")
    rate_limits: RateLimitSettings = Field(
        default_factory=RateLimitSettings,
        description="Request budgets per user and per client address "
        "([limits](https://limits.readthedocs.io) notation). Past one: `429` with `Retry-After`.",
    )
    feedback_publishing: FeedbackPublishingSettings = Field(
        default_factory=FeedbackPublishingSettings,
        description='Feedback events to an MQTT broker and/or webhooks (see "Feedback events").',
    )
    data_retention: DataRetentionSettings = Field(
        default_factory=DataRetentionSettings,
        description="Scheduled deletion of old rows (SAM's keys). A value out of range is "
        "clamped with a WARNING, not refused.",
    )
    public_url: str | None = Field(
        None,
        description="The server's public base URL, for absolute links it hands out (feedback "
        "links). Set it behind a proxy.",
        json_schema_extra={**HTTP_URL, "doc_default": "from each request"},
    )
    feedback_keys: tuple[FeedbackKeySettings, ...] = Field(
        (),
        description='Feedback keys registered at startup (see "Feedback keys"). '
        "`thumbs`, `trodo`, `sentiment` and `portkey` are built in. A key already stored keeps "
        "its stored config; a differing declaration logs a WARNING.",
    )
    feedback_tokens: FeedbackTokenSettings = Field(
        default_factory=FeedbackTokenSettings, description="Single-use feedback links."
    )
    compat: CompatSettings = Field(
        default_factory=CompatSettings,
        description='The SDK dialects (see "Feedback SDKs"). Each is off, answering `404` naming '
        "its key, until configured.",
    )
    feedback_reasons: FeedbackReasonSettings = Field(
        default_factory=FeedbackReasonSettings,
        description='Reasons the feedback modal offers as chips, per rating (see "The operator '
        'console").',
    )
    admin: AdminSettings = Field(
        default_factory=AdminSettings, description="The operator console at `/admin`."
    )
    review: ReviewSettings = Field(
        default_factory=ReviewSettings,
        description='The console\'s review queue at `/admin/review` (see "Reviewing feedback").',
    )
    server: ServerSettings = Field(
        default_factory=ServerSettings,
        description="How `feedback-widget serve` runs: deadlines for slow clients, connection "
        'limits, trusted proxies (see "Limits on one client" and "Running behind a proxy").',
    )
    observability: ObservabilitySettings = Field(
        default_factory=ObservabilitySettings,
        description="Metrics, traces and feedback annotations for the team's observability tools.",
    )
    alerts: tuple[AlertSettings, ...] = Field(
        (),
        description="Rules that post to a webhook when negative feedback passes a share (see "
        '"Alerts").',
    )
    logging: LoggingSettings = Field(
        default_factory=LoggingSettings, description="Request log lines."
    )

    @property
    def console_secret(self) -> str | None:
        """What signs console sessions: `admin.secret`, else `auth.secret` if it is long
        enough (dev mode does not check it). None: the console cannot sign anyone in."""
        if self.admin.secret:
            return self.admin.secret
        auth = self.auth.secret
        return auth if auth and len(auth.encode()) >= MIN_SECRET_BYTES else None

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

    @field_validator("alerts")
    @classmethod
    def _unique_alerts(cls, alerts: tuple[AlertSettings, ...]) -> tuple[AlertSettings, ...]:
        names = [alert.name for alert in alerts]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(
                    f"alert {name!r} is declared more than once: its name keys its state"
                )
        return alerts


class AppSettings(Frozen):
    name: str = Field(min_length=1, description="The app's name.")
    app_config: AppConfig = Field(default_factory=AppConfig, description="The app's settings.")


class Settings(Frozen):
    services: ServicesSettings = Field(
        default_factory=ServicesSettings, description="Shared services."
    )
    apps: tuple[AppSettings, ...] = Field(
        description="The app this server runs.",
        json_schema_extra={"doc_type": "list of exactly one app"},
    )

    @property
    def app(self) -> AppSettings:
        return self.apps[0]

    @property
    def config(self) -> AppConfig:
        """The one app's settings, which nearly everything reads."""
        return self.apps[0].app_config

    @property
    def session_service(self) -> SessionServiceSettings:
        return self.config.session_service or self.services.session_service

    @property
    def feedback(self) -> FeedbackAvailability:
        return FeedbackAvailability.of(self)


@dataclass(frozen=True)
class FeedbackAvailability:
    """Whether feedback is on, and if not the one reason an operator is told (SAM's rule)."""

    enabled: bool
    persistence_enabled: bool
    collect_requested: bool
    reason: str | None

    @classmethod
    def of(cls, settings: Settings) -> FeedbackAvailability:
        service = settings.session_service
        collect = settings.config.frontend_collect_feedback
        reason = None
        if service.type != "sql":
            reason = N_(
                "Feedback requires session persistence; the session service type is memory."
            )
        elif service.default_behavior != "PERSISTENT":
            reason = N_("Feedback requires session persistence; default_behavior is RUN_BASED.")
        elif not collect:
            reason = N_("Feedback collection is disabled by frontend_collect_feedback: false.")
        return cls(reason is None, service.persistent, collect, reason)
