"""Scheduled deletion of old rows (SAM's `data_retention` keys)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from pydantic import Field, model_validator

from app.config.base import Clamp, Frozen

log = logging.getLogger("feedback_widget.settings")


class DataRetentionSettings(Frozen):
    enabled: bool = Field(
        True,
        description="When false nothing is deleted, and startup logs a WARNING saying so.",
    )
    feedback_retention_days: Annotated[int, Clamp(1)] = Field(
        90, description="Feedback older than this is deleted; so are delivered outbox events."
    )
    task_retention_days: Annotated[int, Clamp(1)] = Field(
        90, description="Tasks older than this are deleted with their task events."
    )
    cleanup_interval_hours: Annotated[float, Clamp(1)] = Field(
        24, description="Time between passes; the first pass runs at startup."
    )
    batch_size: Annotated[int, Clamp(1, 10_000)] = Field(
        1000, description="Rows per delete transaction."
    )

    @model_validator(mode="before")
    @classmethod
    def _clamp(cls, data: Any) -> Any:
        """Out-of-range values are clamped with a WARNING, not refused, as SAM does."""
        if not isinstance(data, dict):
            return data
        clamped = dict(data)
        for key, info in cls.model_fields.items():
            value = clamped.get(key)
            bounds = [item for item in info.metadata if isinstance(item, Clamp)]
            if not bounds or isinstance(value, bool) or not isinstance(value, int | float):
                continue  # absent, or a type error the field itself reports
            low, high = bounds[0].low, bounds[0].high
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
