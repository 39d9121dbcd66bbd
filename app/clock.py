from __future__ import annotations

import time
from datetime import UTC, datetime


def now_ms() -> int:
    """Server clock in epoch milliseconds, the unit every stored timestamp uses."""
    return time.time_ns() // 1_000_000


def iso_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as ISO 8601 UTC with a `Z`, the form JavaScript's Date writes."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
