"""SAM-compatible feedback endpoints: /api/v1/config and /api/v1/feedback."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.actions import PERSISTENCE_REQUIRED, record_feedback, task_not_found
from app.api.parsing import json_body, query_params
from app.api.schemas import FeedbackIn, FeedbackQuery
from app.errors import APIError
from app.identity import current_identity
from app.models import Task
from app.state import services
from app.store import feedback as feedback_store
from app.views_model import FeedbackView


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
    feedback, _task = await record_feedback(
        svc,
        identity,
        task_id=body.task_id,
        session_id=body.session_id,
        rating=body.feedback_type,
        comment=body.feedback_text,
        on_behalf_of=body.user_id,
        via="api",
    )
    return JSONResponse({"status": "feedback received", "id": feedback.id}, status_code=202)


def parse_instant(name: str, value: str | None, *, end_of_day: bool = False) -> int | None:
    """ISO 8601 to epoch ms; `Z` and offsets honoured, naive times are UTC."""
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
    return int(moment.timestamp() * 1000)


async def _readable_filter(
    request: Request, query: FeedbackQuery, session: AsyncSession
) -> feedback_store.FeedbackFilter:
    """The caller's filter under SAM's ownership rules (403s exactly as SAM words them)."""
    svc = services(request)
    if not svc.feedback.persistence_enabled:
        raise APIError(501, "persistence_disabled", PERSISTENCE_REQUIRED)
    identity = current_identity(request)
    start_ms = parse_instant("start_date", request.query_params.get("start_date"))
    end_ms = parse_instant("end_date", request.query_params.get("end_date"), end_of_day=True)
    read_all = "feedback:read:all" in identity.scopes
    if query.query_user_id is not None and not read_all:
        raise APIError(
            403,
            "forbidden",
            "You do not have permission to query other users' feedback.",
        )
    if not read_all:
        identity.require("feedback:read")
    if query.task_id is not None:
        task = await session.get(Task, query.task_id)
        if task is None:
            raise task_not_found(query.task_id)
        if task.user_id != identity.user_id and not read_all:
            raise APIError(
                403, "forbidden", "You do not have permission to view feedback for this task."
            )
    return feedback_store.FeedbackFilter(
        user_id=query.query_user_id if read_all else identity.user_id,
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
    )


async def list_feedback(request: Request) -> Response:
    query = query_params(request, FeedbackQuery)
    async with services(request).db.read() as session:
        where = await _readable_filter(request, query, session)
        rows, total = await feedback_store.list_feedback(
            session, where=where, page=query.page, page_size=query.page_size
        )
    body = [FeedbackView.of(row).to_json() for row in rows]
    headers = {"X-Total-Count": str(total)}
    link = _link_header(request, query.page, query.page_size, total)
    if link:
        headers["Link"] = link
    return JSONResponse(body, headers=headers)


async def feedback_summary(request: Request) -> Response:
    """Satisfaction analytics: `customer` feedback only unless `source` names another, or `all`."""
    all_sources = request.query_params.get("source") == "all"
    values = {k: v for k, v in request.query_params.items() if not (all_sources and k == "source")}
    query = query_params(request, FeedbackQuery, values)
    if not all_sources and query.source is None:
        query = query.model_copy(update={"source": "customer"})
    async with services(request).db.read() as session:
        where = await _readable_filter(request, query, session)
        keys = await feedback_store.summarize(session, where=where)
    return JSONResponse({"source": where.source or "all", "keys": keys})


def _link_header(request: Request, page: int, page_size: int, total: int) -> str:
    last = max(1, -(-total // page_size))
    links = []
    if page < last:
        links.append((page + 1, "next"))
    if page > 1:
        links.append((min(page - 1, last), "prev"))
    links += [(1, "first"), (last, "last")]
    return ", ".join(
        f'<{request.url.include_query_params(page=number, page_size=page_size)}>; rel="{rel}"'
        for number, rel in links
    )
