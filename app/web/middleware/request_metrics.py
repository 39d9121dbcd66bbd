"""Counts every HTTP request by route template, method and status, and times it (added to
the app only when metrics are on, so off it costs nothing).

Labels are route templates (`/chat/{session_id}/feedback`, as the request log names them),
never paths, so ids do not make a series each. Starlette's router leaves the innermost route
it matched in `scope["route"]`; the template of every route in the table, its mounts'
prefixes included, is worked out once when the app is built (`route_templates`). A request
that reached a mount but none of its routes (a 404 below it, or a mount's own rule
answering) counts under `<mount>/{path}`. A method outside HTTP's usual set counts as
`other`: a client cannot add series.

The time runs from the request's arrival to the end of its response; an event stream's is
how long it stayed open, under its own route.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import Metrics

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
Templates = dict[int, str]  # id(route) -> its template


def route_templates(routes: Sequence[BaseRoute], prefix: str = "") -> Templates:
    """Each route's full template, mounts' prefixes included, keyed by the route's identity
    (routes compare by value, not as keys)."""
    found: Templates = {}
    for route in routes:
        if isinstance(route, Mount):
            found[id(route)] = f"{prefix}{route.path}/{{path}}"
            found.update(route_templates(route.routes, prefix + route.path))
        elif isinstance(route, Route):
            found[id(route)] = prefix + route.path_format  # `{id}`, not `{id:int}`
    return found


class RequestMetrics:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, templates: Templates) -> None:
        self.app = app
        self.metrics = metrics
        self.templates = templates

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app fails before it answers

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = scope.get("route")
            template = UNMATCHED if route is None else self.templates.get(id(route), UNMATCHED)
            method = scope["method"]
            self.metrics.request(
                template,
                method if method in METHODS else "other",
                status,
                time.perf_counter() - started,
            )
