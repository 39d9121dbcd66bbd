"""Charges a request to one rate budget, declared with the routes it covers (429 past it)."""

from __future__ import annotations

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import APIError
from app.web.credentials import current_identity
from app.web.ratelimit import Budget
from app.web.state import services_of

UNCHARGED_METHODS = frozenset({"OPTIONS"})  # CORS preflights are the browser's, not the user's


class RateBudget:
    def __init__(self, app: ASGIApp, *, budget: Budget) -> None:
        self.app = app
        self.budget = budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = services_of(scope).rate_limiter if scope["type"] == "http" else None
        if limiter is not None and scope["method"] not in UNCHARGED_METHODS:
            try:
                user: str | None = current_identity(HTTPConnection(scope)).user_id
            except APIError:
                user = None  # the handler answers 401; the address budget still applies
            address = scope["client"][0] if scope.get("client") else "unknown"
            wait = await limiter.charge(self.budget, user, address)
            if wait is not None:
                raise APIError(
                    429,
                    "rate_limited",
                    f"Too many requests; try again in {wait} seconds.",
                    headers={"Retry-After": str(wait)},
                )
        await self.app(scope, receive, send)
