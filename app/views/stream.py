"""GET /chat/{session_id}/events: the session's live updates over SSE."""

from __future__ import annotations

from starlette.requests import Request

from app.live.hub import encode
from app.live.stream import LiveStream
from app.live.update import TRANSCRIPT
from app.transcripts.access import owned_session
from app.transcripts.store import task_window
from app.web.credentials import end_user
from app.web.state import services


async def session_events(request: Request) -> LiveStream:
    svc = services(request)
    session_id = request.path_params["session_id"]
    identity = end_user(request)
    # Opening a stream costs one small indexed read: is this the caller's session?
    await svc.db.read(lambda conn: owned_session(conn, identity, session_id))
    last_event_id = request.headers.get("last-event-id") or request.query_params.get("after")
    subscriber = await svc.live.subscribe(session_id, last_event_id)
    first = b""
    if subscriber.resync:
        # The missed events are gone; send the whole transcript as it stands instead.
        cursor = await svc.live.cursor(session_id)
        turns = svc.config.widget.turns_per_page
        try:
            tasks, has_earlier = await svc.db.read(
                lambda conn: task_window(conn, session_id=session_id, limit=turns)
            )
        except BaseException:
            svc.hub.unsubscribe(subscriber)
            raise
        html = svc.partials.transcript(session_id, tasks, has_earlier=has_earlier)
        first = encode(TRANSCRIPT, html, cursor)
    return LiveStream(svc.hub, subscriber, first=first, expires_at=identity.expires_at)
