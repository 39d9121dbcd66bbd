"""What every dialect shares: its config switch, credential checks and field readers."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from app.errors import APIError, bad_request
from app.web.parsing import parse_instant
from app.web.state import services

_TITLES = {
    "trodo": "Trodo",
    "agentsight": "AgentSight",
    "portkey": "Portkey",
    "voltagent": "VoltAgent",
}


def dialect_settings(request: Request, name: str) -> Any:
    """The dialect's settings, or 404 naming the config key that turns it on."""
    found = getattr(services(request).config.compat, name)
    if found is None:
        raise APIError(
            404,
            "dialect_not_configured",
            f"The {_TITLES[name]} endpoints are off; configure apps[0].app_config.compat.{name} "
            "to turn them on.",
        )
    return found


def unauthorized(detail: str) -> APIError:
    return APIError(401, "invalid_credentials", detail)


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
