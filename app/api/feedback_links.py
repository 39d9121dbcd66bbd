"""Feedback links: `POST /api/v1/feedback/tokens` issues one; anyone holding it may answer once.

The same ingest handler serves our links and VoltAgent's: a browser with no credentials
posts `{score | rating, comment}` to the URL and gets 201, or 409 (used) or 410 (expired).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.api.parsing import json_body, read_json
from app.api.schemas import FeedbackLinkIn
from app.compat.common import bad_request, public_base
from app.compat.voltagent import SOURCE_TYPES
from app.feedback_intake import unknown_task
from app.feedback_keys import spec_from_config
from app.feedback_tokens import describe, expiry, issue, redeem
from app.identity import current_identity
from app.state import services

INGEST_PATH = "/api/v1/feedback/ingest/"


async def create_link(request: Request) -> Response:
    identity = current_identity(request)
    identity.require("feedback:write")
    body = await json_body(request, FeedbackLinkIn)
    svc = services(request)
    issued = await issue(
        svc,
        task_ref=body.task_id,
        key=body.key,
        proposed_key=spec_from_config(body.key, body.feedback_config)
        if body.feedback_config is not None
        else None,
        via="token",
        created_by=identity.user_id,
        expires_time=expiry(
            svc.settings.app.app_config.feedback_tokens,
            expires_in_seconds=body.expires_in_seconds,
        ),
        unknown_target=unknown_task,
    )
    return JSONResponse(
        {
            **issued.answer(public_base(request) + INGEST_PATH + issued.token),
            "key": issued.key.name,
            "task_id": issued.task_id,
        },
        status_code=201,
    )


async def link_state(request: Request) -> Response:
    return JSONResponse(await describe(services(request), request.path_params["token"]))


async def ingest(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    rating = body.get("rating")
    if rating is not None and rating not in ("up", "down"):
        raise bad_request("rating must be 'up' or 'down'.", "rating")
    kind = body.get("feedback_source_type", "app")
    if not isinstance(kind, str) or kind not in SOURCE_TYPES:
        raise bad_request("feedback_source_type must be 'app' or 'model'.", "feedback_source_type")
    label = body.get("label")
    stored = await redeem(
        services(request),
        request.path_params["token"],
        score=body.get("score"),
        label=label if isinstance(label, str) else None,
        rating=rating,
        comment=body.get("comment"),
        source=SOURCE_TYPES[kind],
    )
    return JSONResponse(
        {"id": stored.id, "key": stored.key, "score": stored.score, "comment": stored.comment},
        status_code=201,
    )
