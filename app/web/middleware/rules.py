"""The rules a route declares beside itself in the route table."""

from __future__ import annotations

from starlette.middleware import Middleware

from app.web.middleware.budget import RateBudget
from app.web.middleware.cors import PublicCors
from app.web.middleware.open_streams import Holder, StreamCap, end_user
from app.web.ratelimit import Budget


def spends(budget: Budget) -> Middleware:
    """The route counts against `budget` (429 with Retry-After past it)."""
    return Middleware(RateBudget, budget=budget)


def holds_stream(holder: Holder = end_user) -> Middleware:
    """The route is an event stream: it counts against `limits.streams_per_user` (the user
    `holder` names) and `limits.streams_per_address` while it is open (429 past either)."""
    return Middleware(StreamCap, holder=holder)


# Feedback links: answered from any origin, credential-free.
PUBLIC = Middleware(PublicCors)
