"""GET /chat/{session_id}/events: the session's live updates over SSE."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response

from app.actions import owned_session
from app.identity import end_user
from app.live_updates import TRANSCRIPT
from app.state import Services, services
from app.store import tasks as task_store
from app.views_model import TaskView

log = logging.getLogger(__name__)


async def session_events(request: Request) -> Response:
    svc = services(request)
    session_id = request.path_params["session_id"]
    identity = end_user(request)
    async with svc.db.read() as session:
        await owned_session(session, identity, session_id)
    last_event_id = request.headers.get("last-event-id") or request.query_params.get("after")
    return EventSourceResponse(
        _events(svc, request, session_id, last_event_id),
        ping=svc.settings.app.app_config.sse.ping_seconds,
        send_timeout=30,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    svc: Services, request: Request, session_id: str, last_event_id: str | None
) -> AsyncIterator[ServerSentEvent]:
    subscriber = svc.hub.subscribe(session_id, last_event_id)
    try:
        if subscriber.resync:
            # The missed events are gone; send the whole transcript as it stands instead.
            cursor = svc.hub.cursor(session_id)
            async with svc.db.read() as session:
                rows = await task_store.list_tasks(session, session_id=session_id)
            html = svc.partials.transcript([TaskView.of(row) for row in rows])
            yield ServerSentEvent(data=html, event=TRANSCRIPT, id=cursor)
        while True:
            message = await subscriber.queue.get()
            if message is None:
                log.info("dropped a stalled event stream client of session %s", session_id)
                return
            yield ServerSentEvent(data=message.data, event=message.event, id=message.id)
    finally:
        svc.hub.unsubscribe(subscriber)
