"""`${VAR}` and `${VAR, default}` substitution over a parsed YAML tree."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.errors import ConfigError

_PLACEHOLDER = re.compile(r"\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:,\s*([^}]*?))?\s*\}")


def format_path(path: tuple[str | int, ...]) -> str:
    """`("apps", 0, "name")` -> `apps[0].name`, the form every config error uses."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "<root>"


def substitute(value: Any, env: Mapping[str, str], path: tuple[str | int, ...] = ()) -> Any:
    """Return a copy of `value` with every placeholder in every string replaced."""
    if isinstance(value, str):
        return _substitute_string(value, env, path)
    if isinstance(value, dict):
        return {key: substitute(item, env, (*path, str(key))) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, env, (*path, index)) for index, item in enumerate(value)]
    return value


def _substitute_string(text: str, env: Mapping[str, str], path: tuple[str | int, ...]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        raise ConfigError(
            f"{format_path(path)}: environment variable {name} is not set and has no default"
        )

    return _PLACEHOLDER.sub(replace, text)
