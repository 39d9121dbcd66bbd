"""GET /chat/{session_id}/events: the session's live updates over SSE."""

from __future__ import annotations

from starlette.requests import Request

from app.live.hub import encode
from app.live.sse import LiveStream
from app.live.update import TRANSCRIPT
from app.transcripts.access import owned_session
from app.web.credentials import end_user
from app.web.languages import page_locale
from app.web.state import services
from app.widget.partials import partials
from app.widget.transcript import read_window


async def session_events(request: Request) -> LiveStream:
    svc = services(request)
    session_id = request.path_params["session_id"]
    identity = end_user(request)
    # Opening a stream costs one small indexed read: is this the caller's session?
    await svc.db.read(lambda conn: owned_session(conn, identity, session_id))
    last_event_id = request.headers.get("last-event-id") or request.query_params.get("after")
    # Every update this stream writes is rendered in its page's language (the stream's URL
    # carries the page's `lang`; the other rules give the same answer they gave the page).
    locale = page_locale(request)
    subscriber = await svc.live.subscribe(session_id, last_event_id, locale)
    first = b""
    if subscriber.resync:
        # The missed events are gone; send the whole transcript as it stands instead.
        cursor = await svc.live.position(session_id)
        turns = svc.config.widget.turns_per_page
        try:
            window = await svc.db.read(
                lambda conn: read_window(conn, session_id, limit=turns, before=None)
            )
        except BaseException:
            svc.hub.unsubscribe(subscriber)
            raise
        html = partials(request).transcript(session_id, window, locale)
        first = encode(TRANSCRIPT, html, cursor)
    return LiveStream(svc.hub, subscriber, first=first, expires_at=identity.expires_at)
