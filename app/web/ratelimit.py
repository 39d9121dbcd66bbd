"""Request budgets per user and per client address, kept by the `limits` library.

Budgets live in memory by default, or in Redis so several server processes share them.
Each key is charged with one atomic call (`hit` tests and counts at once; on Redis it is
one script). The strategy is the sliding window counter: two counters a key and O(1) a hit,
where a moving window keeps, and shifts, a timestamp per request in the window (it cost a
feedback POST 100 µs at our benchmark's load). If the store is unreachable, requests pass
and an ERROR is logged: a broken limiter must not take the widget down with it.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any, Literal

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

from app.config.limits import RateLimitSettings

log = logging.getLogger("feedback_widget.rate_limit")
Budget = Literal["feedback", "messages", "api", "login", "chats"]


class RateLimiter:
    def __init__(self, settings: RateLimitSettings) -> None:
        options: dict[str, Any] = {}
        if settings.storage_url.startswith("redis"):
            options["key_prefix"] = settings.key_prefix
        self._storage = storage_from_string(f"async+{settings.storage_url}", **options)
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._rules: dict[str, tuple[RateLimitItem, RateLimitItem]] = {
            name: (parse(rule.per_user), parse(rule.per_address))
            for name, rule in (
                ("feedback", settings.feedback),
                ("messages", settings.messages),
                ("api", settings.api),
                ("login", settings.login),
                ("chats", settings.chats),
            )
        }
        self._last_failure_log = 0.0

    async def charge(self, budget: str, user: str | None, address: str) -> int | None:
        """Count one request against the budget: None when allowed, else seconds to wait."""
        per_user, per_address = self._rules[budget]
        charges = [(per_address, f"{budget}:address:{address}")]
        if user is not None:
            charges.insert(0, (per_user, f"{budget}:user:{user}"))
        try:
            for item, key in charges:
                if not await self._strategy.hit(item, key):
                    stats = await self._strategy.get_window_stats(item, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:
            if time.monotonic() - self._last_failure_log > 60:
                self._last_failure_log = time.monotonic()
                log.exception("rate limit store unavailable; letting requests through")
        return None
