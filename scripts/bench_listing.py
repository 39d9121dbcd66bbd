"""`GET /api/v1/feedback` on a database of 30,000 feedback rows, one request at a time: the
first page, page 500 and a filtered page, part of `make bench`. Server time as a client on
the same machine sees it (loopback, keep-alive)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support import (  # noqa: E402
    config_dict,
    migrate_for,
    start_server,
    stop_server,
    write_config,
)
from tests.support.console import OPERATOR_KEY, console_config  # noqa: E402
from tests.support.seeding import seed_feedback  # noqa: E402

ROWS = 30_000
REQUESTS = 200
PAGES = {
    "first page": "page_size=20",
    "page 500": "page_size=20&page=500",
    "rating=down": "page_size=20&rating=down",
    "one user": "page_size=20&query_user_id=user7",
}


def listing_30k(folder: Path, *, pinned: bool) -> dict[str, Any]:
    database = folder / "listing.db"
    config = write_config(
        folder / "listing.yaml",
        config_dict(database_url=f"sqlite:///{database}", **console_config()),
    )
    migrate_for(config)
    seed_feedback(database, ROWS)
    server = start_server(config, migrate=False)
    if pinned and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(server.process.pid, {0})
    headers = {"Authorization": f"Bearer {OPERATOR_KEY}"}
    pages: dict[str, dict[str, float]] = {}
    try:
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            for name, query in PAGES.items():
                for _ in range(20):  # warm
                    client.get(f"/api/v1/feedback?{query}")
                times = []
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    response = client.get(f"/api/v1/feedback?{query}")
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text[:200]
                times.sort()
                pages[name] = {
                    "p50_ms": round(statistics.median(times), 2),
                    "p90_ms": round(times[int(len(times) * 0.9)], 2),
                }
    finally:
        stop_server(server)
    return {"rows": ROWS, "pages": pages}
