"""AgentSight (`agentsight`): 0.0.x conversation feedback, 0.1.x feedbacks and /api/me/.

0.0.x re-sends a POST three times on any answer but 200, 201 or 204 with a JSON (or empty)
body, so a created row is always `201` with JSON. The credential decides the source:
`Api-Key` is the SDK (`customer`, counted in satisfaction analytics); `Bearer` with one of
`auth.api_keys` holding `feedback:write` is the platform's own dashboard (`platform`). A
Bearer end-user token is not a platform credential: it would let any end user rate anyone's
conversation. Every other credential gets the same 401, so the answer says nothing about
what was presented.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.compat.common import dialect_settings, object_or_empty, unauthorized
from app.errors import APIError, bad_request, not_found
from app.feedback.model import FeedbackView, NewFeedback, Rating, UnknownTarget
from app.feedback.rules import SENTIMENT, comment_of
from app.feedback.service import submit
from app.web.credentials import matches_any, platform_key
from app.web.parsing import read_json
from app.web.responses import JSONResponse
from app.web.state import services

SENTIMENTS: dict[str, tuple[int, Rating | None]] = {
    "positive": (1, "up"),
    "neutral": (0, None),
    "negative": (-1, "down"),
}


REFUSED = (
    "Authentication credentials were not provided or are invalid: send Api-Key <SDK key>, "
    "or Bearer <an API key with the feedback:write scope>."
)


def _source(request: Request) -> str:
    """`customer` for an SDK key, `platform` for an operator's API key; 401 for anything else."""
    settings = dialect_settings(request, "agentsight")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "api-key" and matches_any(value, settings.api_keys):
        return "customer"
    auth = services(request).config.auth
    if scheme.lower() == "bearer" and platform_key(value, auth, "feedback:write") is not None:
        return "platform"
    raise unauthorized(REFUSED)


def _unknown_message(reference: str) -> APIError:
    return not_found(
        f"Message {reference} not found: no task has that ID or trace ID.", "unknown_target"
    )


def _unknown_conversation(reference: str) -> APIError:
    return not_found(f"Conversation '{reference}' not found.", "unknown_target")


def _reference(body: dict[str, Any], text_field: str, id_field: str) -> str:
    value = body.get(text_field)
    if value is None:
        value = body.get(id_field)
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise bad_request(f"Send {text_field} (a string) or {id_field} (an integer).", text_field)
    return str(value).strip()


def _feedback(
    body: dict[str, Any],
    source: str,
    *,
    task_ref: str | None = None,
    session_ref: str | None = None,
    unknown_target: UnknownTarget,
) -> NewFeedback:
    sentiment = body.get("sentiment")
    if not isinstance(sentiment, str) or sentiment not in SENTIMENTS:
        raise bad_request("sentiment must be positive, neutral or negative.", "sentiment")
    score, rating = SENTIMENTS[sentiment]
    metadata = object_or_empty(body.get("metadata"), "metadata")
    for extra in ("topic", "reason", "environment"):
        if body.get(extra) is not None:
            metadata = {**metadata, extra: body[extra]}
    return NewFeedback(
        via="agentsight",
        source=source,
        key=SENTIMENT.name,
        proposed_key=SENTIMENT,
        score=score,
        label=sentiment,
        rating=rating,
        comment=comment_of(body.get("comment") or None),
        metadata=metadata,
        task_ref=task_ref,
        session_ref=session_ref,
        unknown_target=unknown_target,
    )


async def _store(request: Request, new: NewFeedback) -> FeedbackView:
    svc = services(request)
    (stored,) = await submit(svc.writer, svc.feedback, new)
    return stored.feedback


def _row(view: FeedbackView, **extra: Any) -> dict[str, Any]:
    return {
        "id": view.id,
        "sentiment": view.label,
        "comment": view.comment,
        "metadata": view.metadata,
        "source": view.source,
        "created_at": view.created_time,
        **extra,
    }


async def _object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    return body


async def conversation_feedback(request: Request) -> Response:
    """0.0.x `conversation_manager.submit_feedback`."""
    source = _source(request)
    body = await _object(request)
    conversation = _reference(body, "conversation_id", "conversation")
    new = _feedback(body, source, session_ref=conversation, unknown_target=_unknown_conversation)
    stored = await _store(request, new)
    return JSONResponse(_row(stored, conversation_id=stored.session_id), status_code=201)


async def feedbacks(request: Request) -> Response:
    """0.1.x `feedbacks.create_for_conversation / _message / _agent`."""
    source = _source(request)
    body = await _object(request)
    kind = body.get("kind")
    if kind == "conversation":
        conversation = _reference(body, "conversation_id", "conversation")
        new = _feedback(
            body, source, session_ref=conversation, unknown_target=_unknown_conversation
        )
        stored = await _store(request, new)
        return JSONResponse(
            _row(stored, kind=kind, conversation_id=stored.session_id), status_code=201
        )
    if kind == "message":
        message = _reference(body, "message_id", "message")
        new = _feedback(body, source, task_ref=message, unknown_target=_unknown_message)
        stored = await _store(request, new)
        return JSONResponse(_row(stored, kind=kind, message=message), status_code=201)
    if kind == "agent":
        raise bad_request(
            "Agent-level feedback has no conversation or message to attach to here; send "
            "kind 'conversation' or 'message'.",
            "kind",
        )
    raise bad_request("kind must be conversation, message or agent.", "kind")


async def me(request: Request) -> Response:
    settings = dialect_settings(request, "agentsight")
    _source(request)
    return JSONResponse(
        {"agent_id": settings.agent_id, "name": services(request).settings.app.name}
    )
