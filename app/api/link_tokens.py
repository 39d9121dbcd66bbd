"""Feedback links: `POST /api/v1/feedback/tokens` issues one; anyone holding it may answer once.

A browser with no credentials posts `{score | rating, comment}` to the link's URL and gets
201, or 409 (used) or 410 (expired). VoltAgent's links (`compat/voltagent.py`) are the same.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.api.schemas import FeedbackLinkIn
from app.feedback.links import (
    expiry,
    issue_link,
)
from app.feedback.model import unknown_task
from app.feedback.rules import spec_from_config
from app.web.credentials import current_identity
from app.web.parsing import json_body, public_base
from app.web.responses import JSONResponse
from app.web.state import services

INGEST_PATH = "/api/v1/feedback/ingest/"


async def create_link(request: Request) -> Response:
    identity = current_identity(request)
    identity.require("feedback:write")
    body = await json_body(request, FeedbackLinkIn)
    svc = services(request)
    proposed = (
        spec_from_config(body.key, body.feedback_config)
        if body.feedback_config is not None
        else None
    )
    issued = await issue_link(
        svc.writer,
        svc.feedback,
        task_ref=body.task_id,
        key=body.key,
        proposed_key=proposed,
        via="token",
        source=body.source,
        created_by=identity.user_id,
        expires_time=expiry(svc.config.feedback_tokens, expires_in_seconds=body.expires_in_seconds),
        unknown_target=unknown_task,
    )
    return JSONResponse(
        {
            **issued.answer(public_base(request) + INGEST_PATH + issued.token),
            "key": issued.key.name,
            "task_id": issued.task_id,
            "source": issued.source,
        },
        status_code=201,
    )
