"""Full pages: the session list, the chat page and the iframe embed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.actions import owned_session
from app.identity import current_identity
from app.state import services
from app.store import sessions as session_store
from app.store import tasks as task_store
from app.views_model import SessionView, TaskView

LAYOUTS = ("chat", "embed")


async def index(request: Request) -> Response:
    svc = services(request)
    identity = current_identity(request)
    async with svc.db.read() as session:
        rows = await session_store.list_recent_sessions(session, user_id=identity.user_id)
    return svc.templates.TemplateResponse(
        request,
        "index.html",
        {
            "sessions": [SessionView.of(row) for row in rows],
            "agent_name": svc.settings.app.app_config.agent.name,
            "feedback": svc.feedback,
        },
    )


async def new_chat(request: Request) -> Response:
    svc = services(request)
    identity = current_identity(request)
    async with svc.writer.transaction() as tx:
        row = await session_store.create_session(
            tx.session, user_id=identity.user_id, agent_id=svc.settings.app.app_config.agent.name
        )
    return RedirectResponse(request.url_for("chat", session_id=row.id), status_code=303)


async def chat(request: Request) -> Response:
    return await _widget_page(request, layout="chat")


async def embed(request: Request) -> Response:
    return await _widget_page(request, layout="embed")


async def _widget_page(request: Request, *, layout: str) -> Response:
    svc = services(request)
    identity = current_identity(request)
    session_id = request.path_params["session_id"]
    # Read the cursor before the rows: anything committed after it is replayed over SSE.
    cursor = svc.hub.cursor(session_id)
    async with svc.db.read() as session:
        chat_row = await owned_session(session, identity, session_id)
        rows = await task_store.list_tasks(session, session_id=session_id)
    return svc.templates.TemplateResponse(
        request,
        f"{layout}.html",
        svc.partials.context(
            chat=SessionView.of(chat_row),
            tasks=[TaskView.of(row) for row in rows],
            cursor=cursor,
            layout=layout,
        ),
    )
