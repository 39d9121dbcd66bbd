"""Portkey (`portkey-ai`): `POST /feedback` (one object or a bulk array) and `PUT /feedback/{id}`.

The SDK validates nothing, so the server does: `value` an integer in -10..10, `weight` in
0..1. A bulk request is stored all or nothing. Errors carry `error.message`, which the SDK
turns into its exception text; `x-portkey-request-id` on every answer stops the SDK from
re-sending a request after a 5xx, which could store the same feedback twice.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.boundary import Loc, check_json
from app.compat.common import dialect_settings, unauthorized
from app.errors import APIError, bad_request, not_found
from app.feedback.model import NewFeedback
from app.feedback.rules import PORTKEY
from app.feedback.service import revise, submit
from app.web.credentials import matches_any
from app.web.parsing import read_json
from app.web.responses import JSONResponse
from app.web.state import services

MAX_BULK = 100


def _authenticate(request: Request) -> None:
    settings = dialect_settings(request, "portkey")
    if not matches_any(request.headers.get("x-portkey-api-key"), settings.api_keys):
        raise unauthorized("Invalid API key: send a valid x-portkey-api-key header.")


def _value(value: Any, where: str) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value != int(value)
    ):
        raise bad_request(
            f"{where}value must be an integer between -10 and 10; got {value!r}.", "value"
        )
    if not -10 <= value <= 10:
        raise bad_request(f"{where}value must be between -10 and 10; got {value}.", "value")
    return int(value)


def _weight(value: Any, where: str) -> float:
    if value is None:
        return 1.0
    # NaN and infinity fail the range test too.
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise bad_request(
            f"{where}weight must be a number between 0 and 1; got {value!r}.", "weight"
        )
    return float(value)


def _metadata(value: Any, where: str, loc: Loc) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, str):  # the docs call it a JSON string; the SDK sends an object
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise bad_request(
                f"{where}metadata must be an object or a JSON object string.", "metadata"
            ) from None
        # JSON inside a string meets the boundary rule like the body around it.
        check_json(value, [*loc, "metadata"])
    if not isinstance(value, dict):
        raise bad_request(f"{where}metadata must be an object.", "metadata")
    return value


def _unknown_trace(reference: str) -> APIError:
    return not_found(f"No request with trace_id '{reference}' is known here.", "unknown_target")


def _feedback(item: Any, where: str, loc: Loc) -> NewFeedback:
    if not isinstance(item, dict):
        raise bad_request(f"{where}each feedback must be an object.")
    trace_id = item.get("trace_id")
    if not isinstance(trace_id, str) or not trace_id:
        raise bad_request(f"{where}trace_id is required.", "trace_id")
    if "value" not in item:
        raise bad_request(f"{where}value is required.", "value")
    metadata = _metadata(item.get("metadata"), where, loc)
    comment = metadata.get("comment") if isinstance(metadata.get("comment"), str) else None
    return NewFeedback(
        via="portkey",
        source="customer",
        key=PORTKEY.name,
        proposed_key=PORTKEY,
        task_ref=trace_id,
        score=_value(item["value"], where),
        weight=_weight(item.get("weight"), where),
        comment=comment,
        metadata=metadata,
        unknown_target=_unknown_trace,
    )


def _answer(message: str, ids: list[str], status: int = 200) -> Response:
    return JSONResponse(
        {"status": "success", "message": message, "feedback_ids": ids},
        status_code=status,
        headers={"x-portkey-request-id": str(uuid.uuid4())},
    )


async def create(request: Request) -> Response:
    _authenticate(request)
    body = await read_json(request)
    items = body if isinstance(body, list) else [body]
    if not items or len(items) > MAX_BULK:
        raise bad_request(f"Send between 1 and {MAX_BULK} feedback objects.")
    bulk = isinstance(body, list)
    feedback = [
        _feedback(item, f"feedbacks[{n}]: ", ["body", n]) if bulk else _feedback(item, "", ["body"])
        for n, item in enumerate(items)
    ]
    svc = services(request)
    # One unit of work: a bulk request is stored all or nothing.
    stored = await submit(svc.writer, svc.feedback, *feedback)
    return _answer("Feedback created successfully", [one.feedback.id for one in stored])


async def update(request: Request) -> Response:
    _authenticate(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be an object.")
    changes = {name: body[name] for name in ("value", "weight", "metadata") if name in body}
    if not changes:
        raise bad_request("Send value, weight or metadata to change.")
    svc = services(request)
    view = await revise(
        svc.writer,
        svc.feedback,
        feedback_id=request.path_params["feedback_id"],
        via="portkey",
        score=_value(changes["value"], "") if "value" in changes else None,
        weight=_weight(changes["weight"], "") if "weight" in changes else None,
        metadata=_metadata(changes["metadata"], "", ["body"]) if "metadata" in changes else None,
    )
    return _answer("Feedback updated successfully", [view.id])
