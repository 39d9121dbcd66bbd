"""GET /chat/{session_id}/events: the session's live updates over SSE."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import Response

from app.live.fanout import TRANSCRIPT
from app.transcripts.access import owned_session
from app.transcripts.store import list_tasks
from app.web.credentials import end_user
from app.web.state import Services, services

log = logging.getLogger(__name__)


async def session_events(request: Request) -> Response:
    svc = services(request)
    session_id = request.path_params["session_id"]
    identity = end_user(request)
    await svc.db.read(lambda conn: owned_session(conn, identity, session_id))
    last_event_id = request.headers.get("last-event-id") or request.query_params.get("after")
    return EventSourceResponse(
        _events(svc, session_id, last_event_id),
        ping=svc.config.sse.ping_seconds,
        send_timeout=30,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _events(
    svc: Services, session_id: str, last_event_id: str | None
) -> AsyncIterator[ServerSentEvent]:
    subscriber = svc.hub.subscribe(session_id, last_event_id)
    try:
        if subscriber.resync:
            # The missed events are gone; send the whole transcript as it stands instead.
            cursor = svc.hub.cursor(session_id)
            tasks = await svc.db.read(lambda conn: list_tasks(conn, session_id=session_id))
            yield ServerSentEvent(data=svc.partials.transcript(tasks), event=TRANSCRIPT, id=cursor)
        while True:
            message = await subscriber.queue.get()
            if message is None:
                log.info("dropped a stalled event stream client of session %s", session_id)
                return
            yield ServerSentEvent(data=message.data, event=message.event, id=message.id)
    finally:
        svc.hub.unsubscribe(subscriber)
