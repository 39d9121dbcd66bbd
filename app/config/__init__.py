"""Typed, frozen settings loaded once from `shared_config.yaml`, one module per concern."""

from app.config.loader import load_settings, settings_from_mapping
from app.config.schema import AppConfig, FeedbackAvailability, Settings

__all__ = [
    "AppConfig",
    "FeedbackAvailability",
    "Settings",
    "load_settings",
    "settings_from_mapping",
]
