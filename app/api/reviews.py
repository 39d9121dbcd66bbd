"""The review queue's JSON door: `POST /api/v1/feedback/{feedback_id}/review`, a reviewer's
action on one feedback, for a key with `feedback:review` (the console's buttons do the same
through its forms). The answer is the feedback with its review history; a stale `version`
answers 409 `review_conflict` with the state another reviewer left, never a silent
overwrite."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from app.api.schemas import ReviewIn
from app.db.writer import Transaction
from app.errors import APIError
from app.feedback.model import FeedbackView
from app.feedback.review import ReviewChange, ReviewConflict, review
from app.feedback.service import PERSISTENCE_REQUIRED
from app.feedback.store.reviews import review_history
from app.web.credentials import current_identity
from app.web.parsing import json_body
from app.web.responses import JSONResponse
from app.web.state import services


def reviewed(conn: Connection, feedback: FeedbackView) -> dict[str, Any]:
    """A feedback as this door answers it: the listing's shape and its history, oldest first."""
    history = review_history(conn, feedback.id)
    return {**feedback.to_json(), "history": [entry.to_json() for entry in history]}


async def review_feedback(request: Request) -> Response:
    svc = services(request)
    if not svc.feedback.persistence_enabled:
        raise APIError(501, "persistence_disabled", PERSISTENCE_REQUIRED)
    identity = current_identity(request)
    # Only an API key holds it: an end-user token (or the dev user) is refused here.
    identity.require("feedback:review")
    body = await json_body(request, ReviewIn)
    change = ReviewChange(
        feedback_id=request.path_params["feedback_id"],
        expected_version=body.version,
        by=identity.name or identity.user_id,
        status=body.status,
        labels=None if body.labels is None else tuple(body.labels),
        correction=body.correction,
        note=body.note,
    )

    def unit(tx: Transaction) -> dict[str, Any]:
        return reviewed(tx.conn, review(tx, change, svc.config.review))

    try:
        answer = await svc.writer.run(unit)
    except ReviewConflict as conflict:
        current = conflict.current
        if current is None:
            raise
        now = await svc.db.read(lambda conn: reviewed(conn, current))
        raise APIError(409, conflict.code, conflict.detail, extra={"current": now}) from None
    return JSONResponse(answer)


def review_paths(errors: dict[str, Any]) -> dict[str, Any]:
    """The endpoint's entry in the OpenAPI document."""
    feedback = {
        "type": "object",
        "description": "The feedback as the listing shows it (with `review_status`, "
        "`review_labels`, `correction`, `review_note`, `review_version`, `reviewed_by`, "
        "`reviewed_time`) and `history`: every review action, oldest first, each "
        "`{version, status, labels, correction, note, by, time}`.",
    }
    conflict = {
        "allOf": [
            {"$ref": "#/components/schemas/Error"},
            {"type": "object", "required": ["current"], "properties": {"current": feedback}},
        ]
    }
    return {
        "/api/v1/feedback/{feedback_id}/review": {
            "parameters": [
                {
                    "name": "feedback_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                }
            ],
            "post": {
                "summary": "Review one feedback: mark it reviewed or dismissed, label it, "
                "correct the answer, add a note",
                "description": "Needs a key with `feedback:review` (`feedback:read:all` alone "
                "is 403); end-user tokens are refused. Send the `review_version` you saw as "
                "`version`: if someone acted since, the answer is 409 `review_conflict` with "
                "their state in `current`, and nothing changes. An unknown label is 422 "
                "`unknown_label`; an unknown feedback id is 404 `feedback_not_found`. Each "
                "action is published as a `feedback.reviewed` event where feedback is.",
                "security": [{"apiKey": ["feedback:review"]}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": ReviewIn.model_json_schema()}},
                },
                "responses": {
                    "200": {
                        "description": "The feedback as it is now, with its history",
                        "content": {"application/json": {"schema": feedback}},
                    },
                    "409": {
                        "description": "Someone acted on it after `version`: their state",
                        "content": {"application/json": {"schema": conflict}},
                    },
                    **errors,
                },
            },
        }
    }
