"""Per-user and per-address request budgets (the `limits` library), answered with 429.

The budgets live in memory by default, or in Redis so several server processes share them.
If the store is unreachable, requests pass (and it is logged): a broken limiter must not take
the widget down with it.
"""

from __future__ import annotations

import logging
import math
import re
import time
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.error_handlers import render_error
from app.errors import APIError
from app.identity import resolve_identity
from app.public_cors import is_public_link
from app.settings import RateLimitSettings

log = logging.getLogger("feedback_widget.rate_limit")
_FEEDBACK_FORM = re.compile(r"^/chat/[^/]+/feedback$")
_MESSAGE_FORM = re.compile(r"^/chat/[^/]+/messages$")


def categories(method: str, path: str) -> list[str]:
    found = []
    if path.startswith(("/api/", "/compat/")):
        found.append("api")
    # Feedback links are end users answering from browsers; dialects are platforms' servers
    # sending for many users, which the API budget covers.
    if method == "POST" and (
        path == "/api/v1/feedback" or _FEEDBACK_FORM.match(path) or is_public_link(path)
    ):
        found.append("feedback")
    if method == "POST" and _MESSAGE_FORM.match(path):
        found.append("messages")
    return found


class RateLimiter:
    def __init__(self, settings: RateLimitSettings) -> None:
        options: dict[str, Any] = {}
        if settings.storage_url.startswith("redis"):
            options["key_prefix"] = settings.key_prefix
        self._storage = storage_from_string(f"async+{settings.storage_url}", **options)
        self._strategy = MovingWindowRateLimiter(self._storage)
        self._rules: dict[str, tuple[RateLimitItem, RateLimitItem]] = {
            name: (parse(rule.per_user), parse(rule.per_address))
            for name, rule in (
                ("feedback", settings.feedback),
                ("messages", settings.messages),
                ("api", settings.api),
            )
        }
        self._last_failure_log = 0.0

    async def retry_after(self, category: str, user: str | None, address: str) -> int | None:
        """Seconds to wait when a budget is spent (nothing is counted then), else None."""
        per_user, per_address = self._rules[category]
        checks = [(per_address, f"{category}:address:{address}")]
        if user is not None:
            checks.insert(0, (per_user, f"{category}:user:{user}"))
        try:
            for item, key in checks:
                if not await self._strategy.test(item, key):
                    stats = await self._strategy.get_window_stats(item, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
            for item, key in checks:
                await self._strategy.hit(item, key)
        except Exception:
            if time.monotonic() - self._last_failure_log > 60:
                self._last_failure_log = time.monotonic()
                log.exception("rate limit store unavailable; letting requests through")
        return None


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The lifespan's Services (typed loosely here: app.state imports this module).
        services: Any = scope.get("state", {}).get("services") if scope["type"] == "http" else None
        limiter: RateLimiter | None = getattr(services, "rate_limiter", None)
        if services is None or limiter is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        address = scope["client"][0] if scope.get("client") else "unknown"
        user: str | None
        try:
            user = resolve_identity(request, services.settings.app.app_config.auth).user_id
        except APIError:
            user = None  # the handler answers 401; the address budget still applies
        for category in categories(scope["method"], scope["path"]):
            wait = await limiter.retry_after(category, user, address)
            if wait is not None:
                error = APIError(
                    429,
                    "rate_limited",
                    f"Too many requests; try again in {wait} seconds.",
                    headers={"Retry-After": str(wait)},
                )
                await render_error(request, error)(scope, receive, send)
                return
        await self.app(scope, receive, send)
