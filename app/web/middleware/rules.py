"""The rules a route declares beside itself in the route table."""

from __future__ import annotations

from starlette.middleware import Middleware

from app.web.middleware.budget import RateBudget
from app.web.middleware.cors import PublicCors
from app.web.ratelimit import Budget


def spends(budget: Budget) -> Middleware:
    """The route counts against `budget` (429 with Retry-After past it)."""
    return Middleware(RateBudget, budget=budget)


# Feedback links: answered from any origin, credential-free.
PUBLIC = Middleware(PublicCors)
