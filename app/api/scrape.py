"""GET /metrics: the Prometheus text format, for an API key with the `metrics:read` scope.

Off (`observability.metrics.enabled: false`, the default) it answers exactly like a URL that
does not exist. On, it wants an API key, which Prometheus sends as a bearer token: no key is
401, a key without the scope 403, any method but GET and HEAD 405, all in the API's error
shape. (The route takes every method itself: else the pages' mount, which takes every path,
would answer them with an HTML page.) The outbox's backlog lives in the database every worker
shares, so it is read here, once a scrape, not counted by anyone.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.clock import now_ms
from app.errors import APIError, not_found
from app.metrics.exposition import Backlog, render
from app.publishing import outbox
from app.web.credentials import current_identity
from app.web.state import services

log = logging.getLogger("feedback_widget.metrics")
SCOPE = "metrics:read"
# What any unknown URL answers (web/handlers.py): off, the endpoint does not exist.
NOT_FOUND = "The requested resource was not found."


def _needs_key() -> APIError:
    return APIError(
        401,
        "unauthenticated",
        f"Metrics are read with an API key that has the '{SCOPE}' scope, sent as "
        "Authorization: Bearer <key>.",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _backlog(request: Request) -> Backlog:
    """Each destination's undelivered events; a configured one with none shows 0."""
    svc = services(request)
    try:
        pending = await svc.db.read(outbox.backlog)
    except Exception as exc:  # the other figures are still worth having
        log.warning("metrics: cannot read the outbox backlog: %s", type(exc).__name__)
        return {}
    now = now_ms()
    targets = svc.publishing.dispatcher.targets if svc.publishing is not None else []
    return {target: (0, 0.0) for target in targets} | {
        target: (count, (now - oldest) / 1000) for target, (count, oldest) in pending.items()
    }


async def metrics(request: Request) -> Response:
    svc = services(request)
    if svc.metrics is None:
        raise not_found(NOT_FOUND)
    if request.method not in ("GET", "HEAD"):
        detail = "This method is not allowed on this URL."
        raise APIError(405, "method_not_allowed", detail, headers={"Allow": "GET, HEAD"})
    identity = current_identity(request)
    if not identity.is_key:
        raise _needs_key()
    identity.require(SCOPE)
    backlog = await _backlog(request)
    body, content_type = render(svc.metrics.registry, backlog, request.headers.get("accept", ""))
    return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})


class MetricsEndpoint:
    """`metrics` as an ASGI app, which a route hands every method."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await metrics(Request(scope, receive))
        await response(scope, receive, send)
