"""The key paths a config file may set, for the README check (`tests/test_readme.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from app.config.schema import Settings


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
