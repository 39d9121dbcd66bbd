"""Caps the event streams one user and one client address hold open (429 past a cap).

Declared on the stream routes (`holds_stream` in `app/routes.py`): the widget's session
stream and the console's operators' stream count together, against the same address. The
slot is taken before the stream opens and given back when its response ends, however it ends;
meanwhile the stream counts as open in the metrics (`live_streams_open`).
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import APIError
from app.web.credentials import current_identity
from app.web.state import services_of

Holder = Callable[[HTTPConnection], str | None]
# EventSource ignores Retry-After (htmx's SSE extension backs off on its own, 0.5 s doubling
# to 64 s); other clients get a hint that a slot frees only when a stream closes.
RETRY_SECONDS = 10
DETAIL = {
    "user": "Too many live connections are open for you ({cap}); close another tab with a "
    "chat and try again.",
    "address": "Too many live connections are open from your network address ({cap}); close "
    "another tab with a chat and try again.",
}


def end_user(conn: HTTPConnection) -> str | None:
    """Who holds a widget stream: the end user (None while unauthenticated: the handler
    answers 401, and the address still counts)."""
    try:
        return f"user:{current_identity(conn).user_id}"
    except APIError:
        return None


class StreamCap:
    def __init__(self, app: ASGIApp, *, holder: Holder) -> None:
        self.app = app
        self.holder = holder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        svc = services_of(scope)
        slots = svc.stream_slots
        user = self.holder(HTTPConnection(scope))
        address = scope["client"][0] if scope.get("client") else "unknown"
        refused = slots.take(user, address)
        if refused is not None:
            cap = slots.per_user if refused == "user" else slots.per_address
            raise APIError(
                429,
                "too_many_streams",
                DETAIL[refused].format(cap=cap),
                headers={"Retry-After": str(RETRY_SECONDS)},
            )
        if svc.metrics is not None:
            svc.metrics.live_streams.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            slots.give_back(user, address)
            if svc.metrics is not None:
                svc.metrics.live_streams.dec()
