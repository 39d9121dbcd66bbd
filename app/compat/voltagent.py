"""VoltAgent (`@voltagent/core` VoltOpsClient): feedback tokens, their ingest URL, direct create.

A token's `url` is absolute and needs no credentials: the app's browser posts the user's
score to it with a plain `fetch`. The key registry is VoltAgent's own design: a first use
with `feedback_config` creates the key, and from then on the stored config wins.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.bounds import ID_PATTERN
from app.clock import iso_ms
from app.compat.common import (
    dialect_settings,
    event_time,
    object_or_empty,
    text_or_none,
    unauthorized,
)
from app.config.feedback import FeedbackKeySettings
from app.errors import bad_request
from app.feedback.links import (
    expiry,
    issue_link,
)
from app.feedback.model import NewFeedback, unknown_task
from app.feedback.rules import SOURCE_TYPES, comment_of, score_of, spec_from_config
from app.feedback.service import submit
from app.web.credentials import matches_any
from app.web.parsing import public_base, read_json
from app.web.responses import JSONResponse
from app.web.state import services

INGEST_PATH = "/compat/voltagent/api/public/feedback/ingest/"
_FEEDBACK_ID = re.compile(ID_PATTERN)
FEEDBACK_ID_MAX_CHARS = 36  # the column holds a UUID


def _authenticate(request: Request) -> str:
    settings = dialect_settings(request, "voltagent")
    public, secret = request.headers.get("x-public-key"), request.headers.get("x-secret-key")
    found: str | None = None
    for pair in settings.key_pairs:
        # `&`, not `and`: both halves are always compared, so timing says nothing either way.
        if matches_any(public, [pair.public_key]) & matches_any(secret, [pair.secret_key]):
            found = pair.public_key
    if found is None:
        raise unauthorized("Invalid VoltOps keys: send a valid X-Public-Key and X-Secret-Key.")
    return found


async def _object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body


def _key(body: dict[str, Any], field: str) -> tuple[str, FeedbackKeySettings | None]:
    key = text_or_none(body.get(field), field, 64)
    if key is None:
        raise bad_request(f"{field} is required.", field)
    config = body.get("feedback_config")
    return key, spec_from_config(key, config) if config is not None else None


def _lifetime_seconds(value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("expires_in must be an object of days, hours and minutes.", "expires_in")
    total = 0.0
    for unit, seconds in (("days", 86_400), ("hours", 3_600), ("minutes", 60)):
        amount = value.get(unit, 0)
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise bad_request(f"expires_in.{unit} must be a number.", "expires_in")
        total += amount * seconds
    return total


async def create_token(request: Request) -> Response:
    public_key = _authenticate(request)
    body = await _object(request)
    trace_id = text_or_none(body.get("trace_id"), "trace_id")
    if trace_id is None:
        raise bad_request("trace_id is required.", "trace_id")
    key, proposed = _key(body, "feedback_key")
    svc = services(request)
    expires = expiry(
        svc.config.feedback_tokens,
        expires_at=body.get("expires_at"),
        expires_in_seconds=_lifetime_seconds(body.get("expires_in")),
    )
    issued = await issue_link(
        svc.writer,
        svc.feedback,
        task_ref=trace_id,
        key=key,
        proposed_key=proposed,
        via="voltagent",
        # The Agent asks at the start of a run, before the host could push the task.
        wait_for_trace=True,
        source=_source(body, "customer"),
        created_by=f"voltagent:{public_key}",
        expires_time=expires,
        unknown_target=unknown_task,
    )
    return JSONResponse(
        {
            **issued.answer(public_base(request) + INGEST_PATH + issued.token),
            "trace_id": trace_id,
            "feedback_key": issued.key.name,
        },
        status_code=201,
    )


def _source(body: dict[str, Any], default: str) -> str:
    kind = body.get("feedback_source_type")
    if kind is None:
        return default
    if not isinstance(kind, str) or kind not in SOURCE_TYPES:
        raise bad_request("feedback_source_type must be 'app' or 'model'.", "feedback_source_type")
    return SOURCE_TYPES[kind]


async def create_feedback(request: Request) -> Response:
    """Direct create with project keys; `score` may be a number, a bool or null."""
    _authenticate(request)
    body = await _object(request)
    trace_id = text_or_none(body.get("trace_id"), "trace_id")
    if trace_id is None:
        raise bad_request("trace_id is required.", "trace_id")
    key, proposed = _key(body, "key")
    feedback_id = body.get("id")
    if feedback_id is not None and (
        not isinstance(feedback_id, str)
        or len(feedback_id) > FEEDBACK_ID_MAX_CHARS
        or not _FEEDBACK_ID.match(feedback_id)
    ):
        raise bad_request("id must be up to 36 letters, digits and _ . : -.", "id")
    value = body.get("value")
    metadata = object_or_empty(body.get("feedback_source"), "feedback_source")
    metadata = {"feedback_source": metadata} if metadata else {}
    for extra in ("value", "correction"):
        if body.get(extra) is not None:
            metadata[extra] = body[extra]
    svc = services(request)
    (stored,) = await submit(
        svc.writer,
        svc.feedback,
        NewFeedback(
            via="voltagent",
            source=_source(body, "platform"),
            key=key,
            proposed_key=proposed,
            task_ref=trace_id,
            score=score_of(body.get("score")),
            label=value if isinstance(value, str) and len(value) <= 255 else None,
            comment=comment_of(body.get("comment")),
            metadata=metadata,
            event_time=event_time(body.get("created_at"), "created_at"),
            feedback_id=feedback_id,
            wait_for_trace=True,
        ),
    )
    row = stored.feedback
    return JSONResponse(
        {
            "id": row.id,
            "trace_id": trace_id,
            "key": row.key,
            "score": row.score,
            "value": value,
            "correction": body.get("correction"),
            "comment": row.comment,
            "feedback_source_type": body.get("feedback_source_type"),
            "created_at": iso_ms(row.created_time),
        },
        status_code=201,
    )


async def otel(request: Request) -> Response:
    """The VoltOps exporter's traces and logs: accepted so it logs no errors, not kept."""
    _authenticate(request)
    return JSONResponse({"partialSuccess": {}})
