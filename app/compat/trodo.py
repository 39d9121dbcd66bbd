"""Trodo (`trodo-python`): 2.x's batch endpoint and per-run fallback, and 1.x's track-agent.

2.x counts an item as delivered only on HTTP 200 with one `{"status": 2xx}` per item, in
order; any other answer drops or re-sends it, so every item gets its own status here and
an item that fails on our side (5xx) is one the SDK will send again.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import zlib
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.bounds import ID_MAX_CHARS, ID_PATTERN, USER_ID_MAX_CHARS
from app.compat.common import (
    dialect_settings,
    event_time,
    object_or_empty,
    text_or_none,
    unauthorized,
)
from app.errors import APIError, bad_request
from app.feedback.model import NewFeedback, Rating
from app.feedback.rules import TRODO, comment_of, score_of
from app.feedback.service import submit
from app.transcripts.service import RunRecord, record_run
from app.web.credentials import matches_any
from app.web.parsing import read_json
from app.web.responses import JSONResponse
from app.web.state import Services, services

log = logging.getLogger(__name__)
SATISFACTION: dict[str, Rating] = {"positive": "up", "negative": "down"}

# --- Run items: a finished agent run becomes (or updates) one of our tasks ---------------------

RUN_STATUSES = {"ok": "completed", "error": "failed", "running": "running"}
_IDENTIFIER = re.compile(ID_PATTERN)


def _identifier(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) > ID_MAX_CHARS or not _IDENTIFIER.match(value):
        raise bad_request(f"run.{field} must be an id of letters, digits and _ . : -.", field)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _mapping(run: dict[str, Any], name: str) -> dict[str, Any]:
    value = run.get(name)
    return value if isinstance(value, dict) else {}


def _model(run: dict[str, Any], spans: Any) -> str | None:
    for span in spans if isinstance(spans, list) else []:
        if isinstance(span, dict) and isinstance(span.get("model"), str):
            return str(span["model"])[:255]
    model = _mapping(run, "metadata").get("model")
    return str(model)[:255] if model else None


def _prompt_version(run: dict[str, Any]) -> str | None:
    prompts = _mapping(run, "attributes").get("trodo.prompts")
    if isinstance(prompts, list) and prompts:
        first = prompts[0]
        if isinstance(first, dict):
            name, version = first.get("name"), first.get("version")
            return f"{name}@{version}"[:255] if name and version else str(name or version)[:255]
        return str(first)[:255]
    version = _mapping(run, "metadata").get("prompt_version")
    return str(version)[:255] if version else None


def _cost(run: dict[str, Any]) -> float | None:
    cost = run.get("total_cost")
    return float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None


def run_record(run: dict[str, Any], spans: Any) -> RunRecord:
    """A Trodo `run` item as the transcripts service records it."""
    run_id = _identifier(run.get("run_id"), "run_id")
    agent = str(run.get("agent_name") or "")[:255] or None
    user = run.get("distinct_id")
    if isinstance(user, str) and len(user) > USER_ID_MAX_CHARS:
        raise bad_request(
            f"run.distinct_id is limited to {USER_ID_MAX_CHARS} characters.", "distinct_id"
        )
    error = run.get("error_summary")
    return RunRecord(
        run_id=run_id,
        conversation_id=_identifier(run.get("conversation_id") or run_id, "conversation_id"),
        user_id=user if isinstance(user, str) else None,
        agent=agent,
        status=RUN_STATUSES.get(str(run.get("status", "ok")), "completed"),
        request_text=_text(run.get("input")),
        response_text=_text(run.get("output")),
        model=_model(run, spans),
        prompt_version=_prompt_version(run),
        cost=_cost(run),
        error=str(error)[:2000] if error else None,
    )


def _authenticate(request: Request) -> None:
    settings = dialect_settings(request, "trodo")
    if not matches_any(request.headers.get("x-trodo-site-id"), settings.site_ids):
        raise unauthorized("Unknown or missing X-Trodo-Site-Id.")


async def _body(request: Request) -> Any:
    raw = await request.body()
    if request.headers.get("content-encoding", "").lower() == "gzip":
        limit = services(request).config.limits.max_body_bytes
        try:
            # Bounded like any body: a small bomb must not unpack into memory unchecked.
            inflater = zlib.decompressobj(wbits=31)
            raw = inflater.decompress(raw, limit + 1)
        except (zlib.error, gzip.BadGzipFile):
            raise bad_request("The body is not valid gzip.") from None
        if len(raw) > limit or inflater.unconsumed_tail:
            raise APIError(413, "payload_too_large", f"The unpacked body exceeds {limit} bytes.")
    return await read_json(request, raw)


def _feedback(run_id: Any, feedback: dict[str, Any]) -> NewFeedback:
    satisfaction = feedback.get("satisfaction")
    if satisfaction is not None and (
        not isinstance(satisfaction, str) or satisfaction not in SATISFACTION
    ):
        raise bad_request("satisfaction must be 'positive', 'negative' or null.", "satisfaction")
    return NewFeedback(
        via="trodo",
        source="customer",
        key=TRODO.name,
        proposed_key=TRODO,
        task_ref=text_or_none(run_id, "run_id") or "",
        user_id=text_or_none(feedback.get("distinct_id"), "distinct_id"),
        score=score_of(feedback.get("rating"), "rating"),
        label=satisfaction,
        rating=SATISFACTION.get(satisfaction) if satisfaction else None,
        comment=comment_of(feedback.get("comment")),
        metadata=object_or_empty(feedback.get("attributes"), "attributes"),
    )


async def _item(svc: Services, item: Any) -> dict[str, Any]:
    try:
        if not isinstance(item, dict):
            raise bad_request("Each item must be an object.")
        if isinstance(item.get("run"), dict):
            task_id = await record_run(svc.writer, run_record(item["run"], item.get("spans")))
            return {"status": 200, "task_id": task_id}
        if isinstance(item.get("feedback"), dict):
            new = _feedback(item.get("run_id"), item["feedback"])
            (stored,) = await submit(svc.writer, svc.feedback, new)
            return {"status": 201, "id": stored.feedback.id}
        if "spans" in item:
            return {"status": 200}  # traces are not ours to keep
        raise bad_request("Unknown item: expected run, feedback or spans.")
    except APIError as error:
        return {"status": error.status_code, "error": error.detail, "code": error.code}
    except Exception:
        log.exception("trodo batch item failed")
        return {"status": 500, "error": "internal error; send the item again"}


async def batch(request: Request) -> Response:
    _authenticate(request)
    body = await _body(request)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise bad_request("The body must be an object with an items list.", "items")
    svc = services(request)
    # One transaction per item: one bad item never costs the others their delivery.
    results = [await _item(svc, item) for item in items]
    return JSONResponse({"results": results})


async def run_feedback(request: Request) -> Response:
    """The per-run fallback 2.x uses against servers without /api/sdk/batch."""
    _authenticate(request)
    feedback = await _body(request)
    if not isinstance(feedback, dict):
        raise bad_request("The body must be a feedback object.")
    svc = services(request)
    new = _feedback(request.path_params["run_id"], feedback)
    (stored,) = await submit(svc.writer, svc.feedback, new)
    return JSONResponse({"status": 201, "id": stored.feedback.id}, status_code=201)


async def track_agent(request: Request) -> Response:
    """1.x: one agent event per request, extra properties merged flat into the body."""
    _authenticate(request)
    body = await _body(request)
    if not isinstance(body, dict):
        raise bad_request("The body must be an object.")
    if body.get("event_type", "feedback") != "feedback":
        return JSONResponse({"status": "ignored"})
    reaction = body.get("feedback")
    if reaction == "unreact":
        raise APIError(
            409, "feedback_locked", "Feedback is locked in once given; it cannot be withdrawn."
        )
    satisfaction = (
        reaction
        if isinstance(reaction, str) and reaction in SATISFACTION
        else body.get("satisfaction")
    )
    known = {"event_type", "agent_id", "conversation_id", "message_id", "distinct_id", "timestamp",
             "feedback", "satisfaction", "rating", "comment"}  # fmt: skip
    extras = {name: value for name, value in body.items() if name not in known}
    new = _feedback(
        body.get("message_id"),
        {
            "satisfaction": satisfaction,
            "rating": body.get("rating"),
            "comment": body.get("comment"),
            "distinct_id": body.get("distinct_id"),
            "attributes": {
                **extras,
                "agent_id": body.get("agent_id"),
                "conversation_id": body.get("conversation_id"),
            },
        },
    )
    when = event_time(body.get("timestamp"), "timestamp")
    svc = services(request)
    (stored,) = await submit(svc.writer, svc.feedback, replace(new, event_time=when))
    return JSONResponse({"status": "ok", "id": stored.feedback.id}, status_code=200)
