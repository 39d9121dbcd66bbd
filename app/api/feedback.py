"""SAM-compatible feedback endpoints: /api/v1/config, /api/v1/feedback and its summary."""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from app.api.schemas import FeedbackIn, FeedbackQuery
from app.errors import APIError, invalid_query
from app.feedback import export, listing
from app.feedback.service import PERSISTENCE_REQUIRED, submit
from app.feedback.thumbs import thumbs
from app.identity import Identity
from app.transcripts.access import task_not_found
from app.transcripts.store import get_task
from app.web.credentials import current_identity
from app.web.parsing import json_body, parse_instant, query_params
from app.web.responses import JSONResponse, download
from app.web.state import services


async def get_config(request: Request) -> Response:
    availability = services(request).feedback
    return JSONResponse(
        {
            "frontend_collect_feedback": availability.enabled,
            "persistence_enabled": availability.persistence_enabled,
            "feedback_disabled_reason": availability.reason,
        }
    )


async def submit_feedback(request: Request) -> Response:
    svc = services(request)
    identity = current_identity(request)
    body = await json_body(request, FeedbackIn)
    new = thumbs(
        identity,
        task_id=body.task_id,
        session_id=body.session_id,
        rating=body.feedback_type,
        comment=body.feedback_text,
        on_behalf_of=body.user_id,
        via="api",
        reasons=body.reasons,
        offered=svc.config.feedback_reasons,
    )
    (stored,) = await submit(svc.writer, svc.feedback, new)
    return JSONResponse({"status": "feedback received", "id": stored.feedback.id}, 202)


def readable_filter(
    conn: Connection, identity: Identity, query: FeedbackQuery, start_ms: int | None,
    end_ms: int | None,
) -> listing.FeedbackFilter:  # fmt: skip
    """The caller's filter under SAM's ownership rules. A task the caller may not read (another
    user's; for a `sid` token, outside its chat) is 404 exactly like an unknown one, where SAM
    answers 403 and so confirms the id exists."""
    scope = identity.read_scope(query_user_id=query.query_user_id)
    if query.session_id is not None:
        identity.check_session(query.session_id)
    if query.task_id is not None:
        task = get_task(conn, query.task_id)
        if task is None or not (
            (scope.user_id is None or task.user_id == scope.user_id)
            and identity.may_use_session(task.session_id)
        ):
            raise task_not_found(query.task_id)
    return listing.FeedbackFilter(
        scope=scope,
        start_ms=start_ms,
        end_ms=end_ms,
        task_id=query.task_id,
        session_id=query.session_id,
        rating=query.rating,
        key=query.key,
        source=query.source,
        organisation=query.organisation,
        prompt=query.prompt,
        environment=query.environment,
        agent_id=query.agent_id,
        model=query.model,
        prompt_version=query.prompt_version,
        reason=query.reason,
        review_status=query.review_status,
        review_label=query.review_label,
    )


def reader(request: Request) -> tuple[Identity, int | None, int | None]:
    """Who reads (after SAM's 501 for no persistence), and the date range they asked for."""
    if not services(request).feedback.persistence_enabled:
        raise APIError(501, "persistence_disabled", PERSISTENCE_REQUIRED)
    identity = current_identity(request)
    params = request.query_params
    return (
        identity,
        parse_instant("start_date", params.get("start_date")),
        parse_instant("end_date", params.get("end_date"), end_of_day=True),
    )


async def list_feedback(request: Request) -> Response:
    query = query_params(request, FeedbackQuery)
    svc = services(request)
    identity, start_ms, end_ms = reader(request)

    def read(conn: Connection) -> tuple[list[dict[str, object]], int]:
        where = readable_filter(conn, identity, query, start_ms, end_ms)
        return listing.list_feedback(conn, where=where, page=query.page, page_size=query.page_size)

    body, total = await svc.db.read(read)
    headers = {"X-Total-Count": str(total)}
    link = _link_header(request, query.page, query.page_size, total)
    if link:
        headers["Link"] = link
    return JSONResponse(body, headers=headers)


async def export_feedback(request: Request) -> Response:
    """Every matching row as CSV or JSON Lines, streamed: the listing's filters and its
    ownership rules, without paging."""
    fmt = request.query_params.get("format", "csv")
    if fmt not in export.MEDIA_TYPES:
        raise invalid_query("format", "Choose format=csv or format=jsonl.")
    query = query_params(request, FeedbackQuery)
    svc = services(request)
    identity, start_ms, end_ms = reader(request)
    where = await svc.db.read(lambda conn: readable_filter(conn, identity, query, start_ms, end_ms))
    return download(export.export_file(svc.db.read, where, fmt))


async def feedback_summary(request: Request) -> Response:
    """Satisfaction analytics: `customer` feedback only unless `source` names another, or `all`."""
    all_sources = request.query_params.get("source") == "all"
    values = {k: v for k, v in request.query_params.items() if not (all_sources and k == "source")}
    query = query_params(request, FeedbackQuery, values)
    if not all_sources and query.source is None:
        query = query.model_copy(update={"source": "customer"})
    svc = services(request)
    identity, start_ms, end_ms = reader(request)

    def read(conn: Connection) -> list[dict[str, object]]:
        where = readable_filter(conn, identity, query, start_ms, end_ms)
        return listing.summarize(conn, where=where)

    keys = await svc.db.read(read)
    return JSONResponse({"source": query.source or "all", "keys": keys})


def _link_header(request: Request, page: int, page_size: int, total: int) -> str:
    last = max(1, -(-total // page_size))
    links = []
    if page < last:
        links.append((page + 1, "next"))
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    links += [(1, "first"), (last, "last")]
    # The other parameters are encoded once; only the page number differs between links.
    others = {k: v for k, v in request.query_params.multi_items() if k not in ("page", "page_size")}
    base = str(request.url.replace(query=urlencode([*others.items(), ("page_size", page_size)])))
    return ", ".join(f'<{base}&page={number}>; rel="{rel}"' for number, rel in links)
