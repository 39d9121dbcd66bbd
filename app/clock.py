from __future__ import annotations

import time


def now_ms() -> int:
    """Server clock in epoch milliseconds, the unit every stored timestamp uses."""
    return time.time_ns() // 1_000_000
