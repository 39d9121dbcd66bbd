"""What every dialect shares: its config switch, credential checks and error shapes."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from app.api.feedback import parse_instant
from app.errors import APIError
from app.state import services

COMPAT_PREFIX = "/compat/"
_TITLES = {
    "trodo": "Trodo",
    "agentsight": "AgentSight",
    "portkey": "Portkey",
    "voltagent": "VoltAgent",
}


def dialect_settings(request: Request, name: str) -> Any:
    """The dialect's settings, or 404 naming the config key that turns it on."""
    found = getattr(services(request).settings.app.app_config.compat, name)
    if found is None:
        raise APIError(
            404,
            "dialect_not_configured",
            f"The {_TITLES[name]} endpoints are off; configure apps[0].app_config.compat.{name} "
            "to turn them on.",
        )
    return found


def matches_any(presented: str | None, accepted: Iterable[str]) -> bool:
    """Constant-time comparison against every accepted value."""
    if not presented:
        return False
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(candidate.encode(), presented.encode())
    return found


def unauthorized(detail: str) -> APIError:
    return APIError(401, "invalid_credentials", detail)


def bad_request(detail: str, field: str | None = None) -> APIError:
    errors = [{"loc": ["body", field], "msg": detail}] if field else []
    return APIError(400, "invalid_request", detail, errors)


def text_or_none(value: Any, field: str, max_length: int = 255) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise bad_request(f"{field} must be a string.", field)
    text = str(value)
    if len(text) > max_length:
        raise bad_request(f"{field} is limited to {max_length} characters.", field)
    return text


def object_or_empty(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request(f"{field} must be an object.", field)
    return value


def event_time(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise bad_request(f"{field} must be an ISO 8601 string.", field)
    return parse_instant(field, value)


def public_base(request: Request) -> str:
    """The absolute base for links handed out: the configured public URL, else this request's."""
    configured = services(request).settings.app.app_config.public_url
    return configured or str(request.base_url).rstrip("/")
