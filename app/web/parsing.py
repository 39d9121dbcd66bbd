"""Turn request bodies, query strings and dates into validated values, or into 4xx errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData
from starlette.requests import Request

from app.boundary import MAX_JSON_DEPTH, check_fields, check_json, refused
from app.errors import APIError, validation_failed
from app.web.state import services

ModelT = TypeVar("ModelT", bound=BaseModel)


def validation_errors(exc: ValidationError, where: str) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        errors.append({"loc": [where, *error["loc"]], "msg": message, "type": error["type"]})
    return errors


async def read_json(request: Request, raw: bytes | None = None) -> Any:
    """The request's JSON value; 415 for another media type, 400 for malformed JSON, 422 for
    a value the boundary rule refuses (`app/boundary.py`)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise APIError(
            415,
            "unsupported_media_type",
            "Send the request body as JSON with Content-Type: application/json.",
        )
    if raw is None:
        raw = await request.body()
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise APIError(
            400, "malformed_json", f"The request body is not valid JSON: {exc}."
        ) from None
    except RecursionError:  # deeper than Python's parser goes, so far deeper than the rule
        raise refused(["body"], f"is nested more than {MAX_JSON_DEPTH} levels deep") from None
    check_json(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def read_form(request: Request) -> FormData:
    """The request's form, every field name and text value judged by the boundary rule."""
    form = await request.form()
    check_fields(form.multi_items(), "form")
    return form


async def json_body(request: Request, model: type[ModelT]) -> ModelT:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise validation_failed(
            [{"loc": ["body"], "msg": "Input should be a JSON object", "type": "dict_type"}]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_failed(validation_errors(exc, "body")) from None


def query_params(
    request: Request, model: type[ModelT], values: Mapping[str, str] | None = None
) -> ModelT:
    try:
        return model.model_validate(dict(request.query_params if values is None else values))
    except ValidationError as exc:
        raise validation_failed(validation_errors(exc, "query")) from None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def parse_instant(name: str, value: str | None, *, end_of_day: bool = False) -> int | None:
    """ISO 8601 to epoch ms; `Z` and offsets honoured, naive times are UTC. A bare date is the
    start of that day, or its end with `end_of_day`."""
    if value is None or value == "":
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = datetime.fromisoformat(text.replace(" ", "+", 1) if "T" in text else text)
    except ValueError:
        raise APIError(
            400, "invalid_date", f"Invalid {name} format. Use ISO 8601 format."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment.astimezone(UTC)  # an offset can push it past year 9999 or before year 1
    except OverflowError:
        raise APIError(400, "invalid_date", f"{name} is out of range.") from None
    # Integer arithmetic: through a float, 9999-12-31T23:59:59.999999 became year 10000.
    return (moment - _EPOCH) // _ONE_MS


def public_base(request: Request) -> str:
    """The absolute base for links handed out: the configured public URL, else this request's."""
    configured = services(request).config.public_url
    return configured or str(request.base_url).rstrip("/")
