"""One log line per request, and the request id that ties a response to its log lines.

`RequestLog`, the outermost middleware, gives every HTTP request an id: the caller's
`X-Request-ID` when it is a short safe token (a proxy's or a load balancer's), else a new one.
It returns the id in the response's `X-Request-ID` header and keeps it in a context variable
that `log_format` adds to every line logged while the request runs (the 500 handler's among
them). When the response is done it logs one line on `feedback_widget.access`: the method,
the route template (`/chat/{session_id}`, never the path or its query string, where tokens
and link secrets travel), the status, the duration and who asked (a user id or an API key's
name). uvicorn's own access log is off (`app/server.py`): it would print the raw target.

The route template is looked up by the endpoint the router left in the scope (a table made
once from the app's routes); an endpoint that serves several templates is matched again
against the routes, as Starlette's router did. Either happens only when the line is written.
"""

from __future__ import annotations

import itertools
import logging
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import redaction

ACCESS_LOGGER = "feedback_widget.access"
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is reused only if it cannot carry anything into a log line but itself.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
REQUEST_ID_RAW = REQUEST_ID_HEADER.lower().encode()
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


AMBIGUOUS = object()  # an endpoint several routes share: match the path to tell which


def _endpoints(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[Any, str]]:
    """Each endpoint (or static files app) the router can pick, and its route's template."""
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from _endpoints(route.routes, prefix + route.path)
        elif isinstance(route, Mount):
            yield route.app, f"{prefix}{route.path}/{{path}}"
        elif isinstance(route, Route):
            yield route.endpoint, prefix + route.path_format


def templates_by_endpoint(routes: Sequence[BaseRoute]) -> dict[int, Any]:
    """Templates by their endpoint's id (an endpoint need not be hashable; each lives as long
    as the app), AMBIGUOUS for an endpoint several templates share."""
    table: dict[int, Any] = {}
    for endpoint, template in _endpoints(routes):
        known = table.setdefault(id(endpoint), template)
        if known != template:
            table[id(endpoint)] = AMBIGUOUS
    return table


def _incoming_id(scope: Scope) -> str | None:
    """The caller's X-Request-ID, if it is a short safe token."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_RAW:
            text = value.decode("latin-1")
            return text if SAFE_REQUEST_ID.fullmatch(text) else None
    return None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._templates: dict[int, Any] | None = None
        self._id_prefix = f"{secrets.token_hex(8)}-"
        self._counter = itertools.count(1)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or self._new_id()
        scope[REQUEST_ID_KEY] = request_id
        # Never reset: the 500 handler runs after this returns, in the same task and context.
        _request_id.set(request_id)
        header = (REQUEST_ID_RAW, request_id.encode("latin-1"))
        root_path = scope.get("root_path", "")  # routing rewrites it; matching again needs it
        started = time.perf_counter()
        status = 500  # unless a response starts: the error handler outside answers 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                before_routing = {**scope, "root_path": root_path}
                self._log(scope, before_routing, status, time.perf_counter() - started)

    def _new_id(self) -> str:
        """This process's random prefix and a counter: unique across processes and instances
        for any practical purpose, and a tenth of the cost of a UUID a request."""
        return f"{self._id_prefix}{next(self._counter):x}"

    def _route(self, scope: Scope, before_routing: Scope) -> str | None:
        routes: Sequence[BaseRoute] = getattr(
            getattr(scope.get("app"), "router", None), "routes", ()
        )
        if self._templates is None:
            self._templates = templates_by_endpoint(routes)
        # The router leaves its pick in the scope; a 404 leaves none, or a mount's router.
        template = self._templates.get(id(scope.get("endpoint")))
        if template is AMBIGUOUS:
            return route_template(routes, before_routing)
        return template if isinstance(template, str) else None

    def _log(self, scope: Scope, before_routing: Scope, status: int, seconds: float) -> None:
        fields: dict[str, Any] = {
            "request_id": scope[REQUEST_ID_KEY],
            "method": scope["method"],
            "route": self._route(scope, before_routing),
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        who = scope.get(WHO_KEY)
        if who is not None:
            fields[who[0]] = who[1]
        args = (fields["method"], fields["route"] or "(no route)", status, fields["duration_ms"])
        # Made directly: `log.info` would walk the stack for a caller that no line shows.
        record = log.makeRecord(
            log.name,
            logging.INFO,
            __file__,
            0,
            "%s %s %d %.1f ms",
            args,
            None,
            extra={"http": fields},
        )
        log.handle(record)
