"""The console's pages: sign-in, the dashboard and its htmx parts, a read-only chat, exports
and the operators' live stream. Every route but the sign-in needs an operator
(`RequireOperator`, declared with the routes)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.console import dashboard, session
from app.console.chart import trend_chart
from app.console.query import ConsoleQuery
from app.datasets.export import KINDS, dataset_file, system_prompt_of
from app.errors import invalid_query
from app.feedback import export
from app.feedback.listing import FeedbackFilter, export_page
from app.i18n.catalogs import N_
from app.identity import ReadScope
from app.live.hub import encode
from app.live.sse import LiveStream
from app.live.update import OPERATORS
from app.transcripts.access import session_not_found
from app.transcripts.store import get_session, list_tasks
from app.web.languages import page_language, page_locale
from app.web.parsing import read_form
from app.web.responses import download
from app.web.state import services

CHAT_FEEDBACK_ROWS = 1000


def _page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    svc = services(request)
    operator = request.scope.get(session.OPERATOR_KEY)
    return svc.templates.TemplateResponse(
        request, name, {"operator": operator, **context}, status_code=status
    )


async def login_form(request: Request) -> Response:
    if await session.operator_of(request) is not None:
        return RedirectResponse("/admin", status_code=303)
    return _login(request, error=None if session.configured(request) else session.NO_SECRET)


def _login(
    request: Request, *, error: str | None, status: int = 200, next_url: str = ""
) -> Response:
    return _page(
        request,
        "console/login.html",
        status,
        error=error,
        next=next_url or request.query_params.get("next", ""),
        configured=session.configured(request),
    )


async def login(request: Request) -> Response:
    config = services(request).config
    form = await read_form(request)
    next_url = session.safe_next(str(form.get("next") or ""))
    if not session.configured(request):
        return _login(request, error=session.NO_SECRET, status=503, next_url=next_url)
    key, error = session.sign_in(config, str(form.get("api_key") or ""))
    if key is None:
        status = 403 if error == session.NOT_AN_OPERATOR else 401
        return _login(request, error=error, status=status, next_url=next_url)
    cookie = await session.open_session(services(request), key)
    response = RedirectResponse(next_url, status_code=303)
    session.set_session(response, request, config, cookie)
    return response


async def logout(request: Request) -> Response:
    """End the session on the server (every instance refuses its cookie from now on), then
    clear the cookie."""
    await session.sign_out(request)
    response = RedirectResponse("/admin/login", status_code=303)
    session.clear_session(response)
    return response


async def show_dashboard(request: Request) -> Response:
    query = ConsoleQuery.parse(request.query_params)
    canonical = query.canonical()
    if dict(request.query_params) != canonical:
        # The filter form sends every field, empty or default; the address to share is
        # the one that names only what this view chose.
        target = f"/admin?{urlencode(canonical)}" if canonical else "/admin"
        return RedirectResponse(target, status_code=303)
    svc = services(request)
    board = await dashboard.build(svc.db, query, svc.config.review)
    return _page(
        request,
        "console/dashboard.html",
        board=board,
        headline=board.headline,
        feed=board.feed,
        chart=trend_chart(board.trend, query.bucket_ms, page_locale(request)),
        oob=False,
    )


async def feed_page(request: Request) -> Response:
    """More of the feed, for the "Older feedback" link."""
    svc = services(request)
    feed = await dashboard.read_feed(svc.db, ConsoleQuery.parse(request.query_params))
    template = svc.templates.get_template("partials/_console_feed.html")
    html = template.render(feed=feed, **page_language(request))
    return HTMLResponse(html)


async def live(request: Request) -> Response:
    """After a live event: the figures again, and the items newer than the newest shown."""
    svc = services(request)
    query = ConsoleQuery.parse(request.query_params)
    newest = request.query_params.get("newest") or None
    headline = await dashboard.headline(svc.db, query)
    feed = await dashboard.read_feed(svc.db, query, newer_than=newest)
    html = svc.templates.get_template("partials/_console_live.html").render(
        headline=headline, feed=feed, oob=True, **page_language(request)
    )
    return HTMLResponse(html)


async def events(request: Request) -> LiveStream:
    """The operators' stream: one small event per feedback stored, on any instance."""
    svc = services(request)
    last_event_id = request.headers.get("last-event-id")
    subscriber = await svc.live.subscribe(OPERATORS, last_event_id)
    first = b""
    if subscriber.resync:  # missed events are gone: one nudge refreshes the page's figures
        first = encode("feedback", "resync", await svc.live.position(OPERATORS))
    operator = request.scope[session.OPERATOR_KEY]  # RequireOperator put it there
    return LiveStream(
        svc.hub,
        subscriber,
        first=first,
        expires_at=operator.expires_at,
        # Signed out (here or on another instance), or the key changed: the stream ends too.
        still_allowed=lambda: session.still_signed_in(request),
        recheck_seconds=svc.config.sse.ping_seconds,
    )


async def export_view(request: Request) -> Response:
    fmt = request.query_params.get("format", "csv")
    if fmt not in export.MEDIA_TYPES:
        raise invalid_query("format", N_("Choose format=csv or format=jsonl."))
    query = ConsoleQuery.parse(request.query_params)
    return download(export.export_file(services(request).db.read, query.listing_filter(), fmt))


async def dataset_view(request: Request) -> Response:
    """A training dataset of this view's feedback (the API's `/api/v1/datasets/…`)."""
    kind = request.path_params["kind"]
    if kind not in KINDS:
        raise invalid_query("kind", "Choose sft.jsonl or preferences.jsonl.")
    query = ConsoleQuery.parse(request.query_params)
    svc = services(request)
    prompt = system_prompt_of(svc.config.agent)
    return download(dataset_file(svc.db.read, kind, query.listing_filter(), prompt))


async def chat(request: Request) -> Response:
    """A chat as its user saw it, read-only, with the feedback given on each reply."""
    svc = services(request)
    session_id = request.path_params["session_id"]
    everyone = ReadScope(user_id=None, session_id=None)

    def read(conn: Connection) -> tuple[Any, Any, Any]:
        found = get_session(conn, session_id)
        if found is None:
            raise session_not_found(session_id)
        where = FeedbackFilter(scope=everyone, session_id=session_id)
        rows = export_page(conn, where=where, after=None, size=CHAT_FEEDBACK_ROWS)
        return found, list_tasks(conn, session_id=session_id), rows

    found, tasks, rows = await svc.db.read(read)
    given: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["task_id"]:
            given[row["task_id"]].append(row)
    return _page(
        request,
        "console/chat.html",
        chat=found,
        tasks=tasks,
        feedback=given,
        rated_id=request.query_params.get("task"),
    )
