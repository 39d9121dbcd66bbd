"""Read, substitute and validate a config file; every fault names its key path."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from app.config.agent import AGENT_TYPES
from app.config.auth import MIN_SECRET_BYTES
from app.config.envsubst import format_path, substitute
from app.config.schema import Settings
from app.errors import ConfigError

CONFIG_ENV_VAR = "FEEDBACK_WIDGET_CONFIG"
DEFAULT_CONFIG_PATH = "shared_config.yaml"


def find_config(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """The config file: `--config`, else $FEEDBACK_WIDGET_CONFIG, else shared_config.yaml."""
    env = os.environ if env is None else env
    return Path(path or env.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_PATH)


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read, substitute and validate a config file. Raises ConfigError with one line per fault."""
    env = os.environ if env is None else env
    config_path = find_config(path, env)
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
    if len(settings.apps) != 1:
        raise ConfigError(f"apps: exactly one app is required (got {len(settings.apps)})")
    _check_across_keys(settings)
    return settings


def _check_across_keys(settings: Settings) -> None:
    """Rules that span several keys, which no single field validator can see."""
    config = settings.config
    publishing = config.feedback_publishing
    if publishing.enabled and publishing.broker is None and not publishing.webhooks:
        raise ConfigError(
            "apps[0].app_config.feedback_publishing: enabled, but neither broker nor webhooks "
            "is set"
        )
    if config.auth.mode == "token":
        length = len((config.auth.secret or "").encode())
        if length < MIN_SECRET_BYTES:
            raise ConfigError(
                f"apps[0].app_config.auth.secret: token mode needs a secret of at least "
                f"{MIN_SECRET_BYTES} bytes (got {length})"
            )
    service = settings.session_service
    if service.type == "sql" and not service.database_url:
        where = (
            "apps[0].app_config.session_service"
            if config.session_service
            else "services.session_service"
        )
        raise ConfigError(f"{where}.database_url: required when type is 'sql'")


def _describe(error: Any) -> str:
    loc = list(error["loc"])
    # A discriminated union (the agent) puts the chosen type's tag into the location.
    loc = [
        part
        for n, part in enumerate(loc)
        if not (n and loc[n - 1] == "agent" and part in AGENT_TYPES)
    ]
    if error["type"] == "union_tag_invalid":
        path = format_path((*loc, "type"))
        return (
            f"{path}: must be one of {', '.join(AGENT_TYPES)} (got {error['input'].get('type')!r})"
        )
    path = format_path(tuple(loc))
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
