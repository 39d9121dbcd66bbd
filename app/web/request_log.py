"""uvicorn's access log, without credentials: every line's request target is redacted.

uvicorn logs each request line with its query string, so every widget URL and event stream
would put its `?token=<JWT>` in the log, and a feedback link its secret (a path parameter).
`RedactCredentials` is a filter on uvicorn's access logger that rewrites the target before
the line is formatted (`app/redaction.py` says what goes). Path parameters named like a
credential are known only after routing: `RememberRequest`, the outermost middleware, keeps
the request's scope in a context variable, which uvicorn's log call, made from the request's
own task, still sees. Headers are never logged (uvicorn logs none).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from app import redaction

ACCESS_LOGGER = "uvicorn.access"
_request: ContextVar[Scope | None] = ContextVar("feedback_widget.request", default=None)


def credential_params(scope: Scope | None) -> Iterator[str]:
    """The values of the routed path's parameters that name a credential (a link's secret)."""
    params: dict[str, Any] = (scope or {}).get("path_params") or {}
    for name, value in params.items():
        if name.lower() in redaction.CREDENTIAL_NAMES:
            yield str(value)


def loggable_path(scope: Scope) -> str:
    """The request's path, for our own log lines."""
    return redaction.path(str(scope.get("path", "")), credential_params(scope))


class RememberRequest:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            # Never reset: each request runs in a task (and context) of its own, and uvicorn
            # logs a 500 only after the app has returned.
            _request.set(scope)
        await self.app(scope, receive, send)


class RedactCredentials(logging.Filter):
    """For uvicorn's access records: (client, method, target, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            client, method, target, version, status = args
            secrets = list(credential_params(_request.get()))
            record.args = (client, method, redaction.target(str(target), secrets), version, status)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger (once: a process may build many apps)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(existing, RedactCredentials) for existing in logger.filters):
        logger.addFilter(RedactCredentials())
