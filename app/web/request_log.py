"""One log line per request, and the request id that ties a response to its log lines.

`RequestLog`, the outermost middleware, gives every HTTP request an id: the caller's
`X-Request-ID` when it is a short safe token (a proxy's or a load balancer's), else a new one.
It returns the id in the response's `X-Request-ID` header and keeps it in a context variable
that `log_format` adds to every line logged while the request runs (the 500 handler's among
them). When the response is done it logs one line on `feedback_widget.access`: the method,
the route template (`/chat/{session_id}`, never the path or its query string, where tokens
and link secrets travel), the status, the duration and who asked (a user id or an API key's
name). uvicorn's own access log is off (`app/server.py`): it would print the raw target.

The route template comes from matching the request's path against the app's routes after
the response, as Starlette's router did, and only when the line will be written.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import redaction

ACCESS_LOGGER = "feedback_widget.access"
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is reused only if it cannot carry anything into a log line but itself.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
REQUEST_ID_KEY = "feedback_widget.request_id"
WHO_KEY = "feedback_widget.who"
_request_id: ContextVar[str | None] = ContextVar("feedback_widget.request_id", default=None)
log = logging.getLogger(ACCESS_LOGGER)


def current_request_id() -> str | None:
    """The id of the request this code runs for, if any."""
    return _request_id.get()


def request_id_of(scope: Scope) -> str | None:
    return scope.get(REQUEST_ID_KEY)


def record_who(scope: Scope, kind: str, name: str) -> None:
    """Say who is asking (`user` and a user id, or `key` and an API key's name), for the log."""
    scope[WHO_KEY] = (kind, name)


def credential_params(scope: Scope | None) -> list[str]:
    """The values of the routed path's parameters that name a credential (a link's secret)."""
    params: dict[str, Any] = (scope or {}).get("path_params") or {}
    return [str(v) for k, v in params.items() if k.lower() in redaction.CREDENTIAL_NAMES]


def loggable_path(scope: Scope) -> str:
    """The request's path, for our own log lines."""
    return redaction.path(str(scope.get("path", "")), credential_params(scope))


def route_template(routes: Sequence[BaseRoute], scope: Scope, prefix: str = "") -> str | None:
    """The template of the route Starlette's router picks for `scope` (the first full match,
    else the first partial one, which answers 405); None when none does (a 404)."""
    partial: str | None = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.NONE:
            continue
        if isinstance(route, Mount):
            if not route.routes:  # an app of its own (the static files): all below is one route
                found: str | None = f"{prefix}{route.path}/{{path}}"
            else:
                found = route_template(route.routes, {**scope, **child}, prefix + route.path)
        elif isinstance(route, Route):
            found = prefix + route.path_format
        else:
            found = None
        if match is Match.FULL:
            return found
        partial = partial or found
    return partial


def _matchable(scope: Scope) -> Scope:
    """What route matching reads of a scope, before routing rewrites `root_path`."""
    keys = ("type", "path", "root_path", "method", "app_root_path")
    return {key: scope[key] for key in keys if key in scope}


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get(REQUEST_ID_HEADER, "")
        request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        scope[REQUEST_ID_KEY] = request_id
        # Never reset: the 500 handler runs after this returns, in the same task and context.
        _request_id.set(request_id)
        before_routing = _matchable(scope)
        started = time.perf_counter()
        status = 500  # unless a response starts: the error handler outside answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                self._log(scope, before_routing, status, time.perf_counter() - started)

    def _log(self, scope: Scope, before_routing: Scope, status: int, seconds: float) -> None:
        app = scope.get("app")
        routes: Sequence[BaseRoute] = getattr(getattr(app, "router", None), "routes", ())
        fields: dict[str, Any] = {
            "request_id": scope[REQUEST_ID_KEY],
            "method": scope["method"],
            "route": route_template(routes, before_routing),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        who = scope.get(WHO_KEY)
        if who is not None:
            fields[who[0]] = who[1]
        log.info(
            "%s %s %d %.1f ms",
            fields["method"],
            fields["route"] or "(no route)",
            status,
            fields["duration_ms"],
            extra={"http": fields},
        )
