"""Full pages: the session list, the chat page and the iframe embed."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.config.theme import valid_theme_vars
from app.errors import APIError
from app.identity import Identity, session_not_allowed
from app.transcripts import service, store
from app.transcripts.access import owned_session
from app.transcripts.markdown import code_stylesheet
from app.transcripts.model import SessionView
from app.web.credentials import end_user
from app.web.languages import asked_lang, page_locale
from app.web.state import services
from app.widget.partials import partials
from app.widget.transcript import Window, read_window
from app.widget.urls import LAYOUTS, chat_page, widget_url


def _trusted_parent(request: Request, allowed: tuple[str, ...]) -> str | None:
    """The host origin the widget may post events to: only one the operator allowed."""
    origin = request.query_params.get("parent_origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin if origin is not None and (origin in allowed or origin == own) else None


def _theme_vars(request: Request, configured: dict[str, str]) -> dict[str, str]:
    """The operator's theme variables under the host's valid ones (embed.js `themeVars`, a JSON
    object in the `theme_vars` URL parameter; what is not valid is dropped)."""
    try:
        given = json.loads(request.query_params.get("theme_vars") or "{}")
    except ValueError:
        given = {}
    return {**configured, **(valid_theme_vars(given) if isinstance(given, dict) else {})}


def _awaits_token(request: Request, parent_origin: str | None) -> bool:
    """Whether this embed was opened by embed.js without a credential, to receive the token
    from its host by postMessage (tokens stay out of URLs)."""
    return (
        request.query_params.get("handoff") == "1"
        and parent_origin is not None
        and "token" not in request.query_params
        and "authorization" not in request.headers
    )


async def demo_host(request: Request) -> Response:
    """A host page that embeds the widget through embed.js, for trying it out in dev mode."""
    svc = services(request)
    if svc.config.auth.mode != "dev":
        raise APIError(404, "not_found", "The demo host page exists in dev mode only.")
    return svc.templates.TemplateResponse(request, "demo_host.html", {})


async def index(request: Request) -> Response:
    svc = services(request)
    identity = end_user(request)
    sessions = await svc.db.read(
        lambda conn: store.list_recent_sessions(conn, scope=identity.chat_scope())
    )
    return svc.templates.TemplateResponse(
        request,
        "index.html",
        {
            "sessions": sessions,
            "agent_name": svc.config.agent.name,
            "feedback": svc.feedback,
            "token": identity.token,
            "theme": request.query_params.get("theme"),
        },
    )


async def new_chat(request: Request) -> Response:
    svc = services(request)
    identity = end_user(request)
    if identity.session_limit is not None:
        raise session_not_allowed()
    chat = await service.new_chat(
        svc.writer, user_id=identity.user_id, agent_id=svc.config.agent.name
    )
    url = widget_url(chat_page("chat", chat.id), identity.token, asked_lang(request))
    return RedirectResponse(url, status_code=303)


async def chat(request: Request) -> Response:
    return await _widget_page(request, layout="chat")


async def embed(request: Request) -> Response:
    return await _widget_page(request, layout="embed")


def chat_window(
    identity: Identity, session_id: str, before: str | None, turns: int
) -> Callable[[Connection], tuple[SessionView, Window]]:
    """The caller's chat, and its `turns` latest turns before `before` (a task id), if any."""

    def read(conn: Connection) -> tuple[SessionView, Window]:
        chat = owned_session(conn, identity, session_id)
        return chat, read_window(conn, session_id, limit=turns, before=before)

    return read


async def earlier_turns(request: Request) -> Response:
    """`Load earlier messages` with htmx: the turns before one, under a control for more."""
    svc = services(request)
    identity = end_user(request)
    session_id = request.path_params["session_id"]
    read = chat_window(
        identity, session_id, request.query_params.get("before"), svc.config.widget.turns_per_page
    )
    _chat, window = await svc.db.read(read)
    layout = request.query_params.get("layout")
    html = partials(request).earlier_turns(
        session_id,
        window,
        page_locale(request),
        layout=layout if layout in LAYOUTS else "chat",
        token=identity.token,
        lang=asked_lang(request),
    )
    return HTMLResponse(html)


async def _widget_page(request: Request, *, layout: str) -> Response:
    svc = services(request)
    parent_origin = _trusted_parent(request, svc.config.embed.allowed_origins)
    page: dict[str, Any] = {
        "layout": layout,
        "parent_origin": parent_origin,
        "theme": request.query_params.get("theme"),
        "theme_vars": _theme_vars(request, svc.config.widget.theme_vars),
        "auto_height": request.query_params.get("autoheight") == "1",
    }
    if layout == "embed" and _awaits_token(request, parent_origin):
        # The page without the chat: widget.js says `ready` to the host, takes the token it
        # answers with, and fetches the chat below with the token in a header.
        return svc.templates.TemplateResponse(
            request, "embed.html", partials(request).context(awaiting_token=True, **page)
        )
    identity = end_user(request)
    session_id = request.path_params["session_id"]
    # Read the cursor before the rows: anything committed after it is replayed over SSE.
    cursor = await svc.live.position(session_id)
    read = chat_window(
        identity, session_id, request.query_params.get("before"), svc.config.widget.turns_per_page
    )
    chat_row, window = await svc.db.read(read)
    # One partial, two uses: the page includes the widget; the page awaiting its token
    # fetches it alone.
    fetched = layout == "embed" and request.headers.get("hx-request") == "true"
    return svc.templates.TemplateResponse(
        request,
        "partials/_widget.html" if fetched else f"{layout}.html",
        partials(request).context(
            chat=chat_row,
            chat_id=chat_row.id,
            **window.context(),
            cursor=cursor,
            token=identity.token,
            **page,
        ),
    )


async def code_css(request: Request) -> Response:
    """Highlighted code's colours, made from the installed Pygments' styles (cached as every
    static file is: `StaticCaching`)."""
    return Response(code_stylesheet(), media_type="text/css")
