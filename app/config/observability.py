"""Seeing how the server does: metrics for Prometheus, traces and feedback into the team's
observability tool, alerts on negative feedback, and the shape of log lines."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from app.config.base import HTTP_URL, Frozen


def _http_url(url: str | None) -> str | None:
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError("must be an http:// or https:// URL")
    return url


class MetricsSettings(Frozen):
    enabled: bool = Field(
        False,
        description="Serve `GET /metrics` in the Prometheus text format, readable with an API "
        "key that has the `metrics:read` scope (as a bearer token). Off: `/metrics` answers "
        "`404`.",
    )


class OtlpSettings(Frozen):
    endpoint: str | None = Field(
        None,
        description="The OTLP/HTTP traces URL each turn is exported to as a GenAI span, for "
        "example `http://127.0.0.1:6006/v1/traces`. Unset: no traces.",
        json_schema_extra=HTTP_URL,
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="Extra headers sent with every export (an API key, say).",
        json_schema_extra={"doc_type": "map of header to value", "doc_default": "none"},
    )
    service_name: str = Field(
        "feedback-widget",
        min_length=1,
        description="The `service.name` resource attribute of exported spans.",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, url: str | None) -> str | None:
        return _http_url(url)


class PhoenixSettings(Frozen):
    url: str | None = Field(
        None,
        description="Arize Phoenix's base URL: each feedback becomes a human annotation on its "
        "turn's span (needs `observability.otlp.endpoint`). Unset: feedback stays here.",
        json_schema_extra=HTTP_URL,
    )
    api_key: str | None = Field(
        None, description="Phoenix's API key, if its authentication is on (sent as a bearer token)."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        return _http_url(url)


class ObservabilitySettings(Frozen):
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings, description='Prometheus metrics (see "Metrics").'
    )
    otlp: OtlpSettings = Field(
        default_factory=OtlpSettings, description='OpenTelemetry traces (see "Traces").'
    )
    phoenix: PhoenixSettings = Field(
        default_factory=PhoenixSettings,
        description='Feedback as annotations in Arize Phoenix (see "Traces").',
    )

    @model_validator(mode="after")
    def _phoenix_needs_traces(self) -> ObservabilitySettings:
        if self.phoenix.url and not self.otlp.endpoint:
            raise ValueError("phoenix.url needs otlp.endpoint: annotations go on exported spans")
        return self


class AlertSettings(Frozen):
    name: str = Field(min_length=1, max_length=200, description="The alert's name.")
    negative_share_above: float = Field(
        ge=0, le=1, description="Fires when the share of thumbs-down in the window exceeds this."
    )
    window_minutes: int = Field(ge=1, le=10080, description="The sliding window, in minutes.")
    min_feedback: int = Field(
        10, ge=1, description="The least feedback in the window before the rule can fire."
    )
    agent: str | None = Field(None, description="Only feedback on this agent's turns.")
    model: str | None = Field(None, description="Only feedback on this model's turns.")
    reason: str | None = Field(None, description="Only feedback carrying this reason id.")
    webhook_url: str = Field(
        description="Where `firing` and `resolved` are posted, as a Slack incoming-webhook "
        "message with structured fields.",
        json_schema_extra=HTTP_URL,
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, url: str) -> str:
        return _http_url(url) or url


class LoggingSettings(Frozen):
    format: Literal["text", "json"] = Field(
        "text",
        description="`json`: every log line one JSON object; a request's line has its request "
        "id, route template, method, status, duration and who asked. `text`: lines for people "
        '(see "Logs").',
    )
