"""Exceptions that carry what the client (or operator) is told, and their common shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ConfigError(Exception):
    """A configuration problem; the message names the key path and the bad value."""


@dataclass
class APIError(Exception):
    """An error rendered as `{"detail", "code"[, "errors"]}` by the exception handlers, plus
    `extra`'s members when an error carries what the client needs to act on it (a review
    conflict's current state)."""

    status_code: int
    code: str
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    # For pages in other languages: `detail` as a catalog message with `%(name)s` places, and
    # what fills them (`detail` is the English text, as the JSON API says it).
    template: str | None = None
    params: dict[str, int | str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status_code} {self.code}: {self.detail}"


def not_found(detail: str, code: str = "not_found") -> APIError:
    return APIError(404, code, detail)


def conflict(detail: str, code: str) -> APIError:
    return APIError(409, code, detail)


def validation_failed(errors: list[dict[str, Any]], detail: str | None = None) -> APIError:
    if detail is None:
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(str(part) for part in first["loc"])
        detail = f"Invalid request: {where}: {first['msg']}." if where else "Invalid request."
    return APIError(422, "validation_error", detail, errors)


def invalid_field(name: str, message: str, **params: int | str) -> APIError:
    """A 422 about one body field, whose message is the whole detail; with `params`, the
    message is a template a page translates before filling it (`%(limit)s`)."""
    text = message % params if params else message
    error = validation_failed([{"loc": ["body", name], "msg": text}], text)
    if params:
        error.template, error.params = message, params
    return error


def invalid_query(name: str, message: str) -> APIError:
    """A 422 about one query parameter, whose message is the whole detail."""
    return validation_failed([{"loc": ["query", name], "msg": message}], message)


def bad_request(detail: str, name: str | None = None) -> APIError:
    """A 400 for a body the SDK dialects reject (their clients expect 400, not 422)."""
    errors = [{"loc": ["body", name], "msg": detail}] if name else []
    return APIError(400, "invalid_request", detail, errors)
