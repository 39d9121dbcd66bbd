"""Feedback events to MQTT and webhooks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from app.config.base import HTTP_URL, Frozen


class BrokerSettings(Frozen):
    url: str = Field(
        "mqtt://127.0.0.1:1883",
        description="`user:pass@` allowed; `mqtts` uses TLS with the system's CA store. Solace "
        "PubSub+, Mosquitto, EMQX and HiveMQ all speak MQTT.",
        json_schema_extra={"doc_type": "`mqtt://` or `mqtts://` URL"},
    )
    client_id: str | None = Field(
        None, description="MQTT client id.", json_schema_extra={"doc_default": "generated"}
    )
    qos: Literal[0, 1, 2] = Field(1, description="MQTT quality of service.")

    @field_validator("url")
    @classmethod
    def _mqtt_scheme(cls, url: str) -> str:
        if not url.startswith(("mqtt://", "mqtts://")):
            raise ValueError("must be an mqtt:// or mqtts:// URL")
        return url


class WebhookSettings(Frozen):
    url: str = Field(description="Where the JSON is POSTed.", json_schema_extra=HTTP_URL)
    secret: str = Field(min_length=1, description="HMAC-SHA256 key for the signature header.")

    @field_validator("url")
    @classmethod
    def _http_scheme(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url


class FeedbackPublishingSettings(Frozen):
    enabled: bool = Field(
        False,
        description="Publish each feedback submission. Needs a `broker`, `webhooks`, or both.",
    )
    topic: str = Field(
        "sam/feedback/v1",
        min_length=1,
        description="MQTT topic, used verbatim after `${VAR}` substitution, e.g. "
        '`"${NAMESPACE}/sam/feedback/v1"`.',
    )
    include_task_info: Literal["none", "summary", "stim"] = Field(
        "none",
        description="How much of the task each event carries: nothing, a summary, or `stim` "
        "(the full event log).",
    )
    max_payload_size_bytes: int = Field(
        9_000_000,
        ge=1,
        description="A `stim` payload over this falls back to `summary`, with "
        "`truncation_details`.",
    )
    broker: BrokerSettings | None = Field(
        None, description="The MQTT broker; leave it out to use webhooks only."
    )
    webhooks: tuple[WebhookSettings, ...] = Field(
        (), description="HTTP receivers, each getting every event."
    )
    retry_max_seconds: float = Field(
        60, gt=0, description="Cap of the exponential backoff between delivery attempts."
    )
    warn_pending_seconds: float = Field(
        300,
        gt=0,
        description="Log a WARNING while an event has been pending longer than this.",
    )
