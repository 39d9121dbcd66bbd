"""The key paths a config file may set, for the README check (`tests/test_readme.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from app.config.schema import Settings


def documented_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Every key path a config file may set, e.g. `apps[].app_config.agent.type`; for a
    union of models (the agent types) the keys of every member, once each."""
    seen: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        annotation = info.annotation
        nested = _nested_models(annotation)
        if not nested:
            yield path
            continue
        if annotation is not None and getattr(annotation, "__origin__", None) is tuple:
            path += "[]"
        yield path
        for member in nested:
            for key in documented_keys(member, path):
                if key not in seen:
                    seen.add(key)
                    yield key


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found += [model for model in _nested_models(arg) if model not in found]
    return found
