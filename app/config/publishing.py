"""Feedback events to MQTT and webhooks, and the scheduled deletion of old rows."""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from app.config.base import Frozen

log = logging.getLogger("feedback_widget.settings")


class BrokerSettings(Frozen):
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


class WebhookSettings(Frozen):
    url: str = Field(description="Receiver of an HTTP POST of each event's JSON.")
    secret: str = Field(min_length=1, description="HMAC-SHA256 key for the signature header.")

    @field_validator("url")
    @classmethod
    def _http_scheme(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return url


class FeedbackPublishingSettings(Frozen):
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


class DataRetentionSettings(Frozen):
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
