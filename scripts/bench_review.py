"""The review queue and the datasets with 100,000 feedback rows in SQLite (`make bench-review`):
the server time to open the queue, to move to the next item, and to act on one; then each
dataset's export throughput and the server's peak memory while it streams."""

from __future__ import annotations

import re
import sqlite3
import statistics
import sys
import time
from contextlib import closing
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

ROWS = 100_000
REQUESTS = 20
REVIEWER_KEY = "reviewer-key-0123456789"
# Every tenth reply rated down gets a corrected answer: the preference pairs' source.
CORRECTED = (
    "UPDATE feedback SET correction = 'Corrected answer ' || id, review_status = 'reviewed', "
    "review_version = 1, reviewed_by = 'bench' WHERE rating = 'down' AND rowid % 10 = 0"
)


def _peak_kib(pid: int) -> int:
    """The process's resident peak so far (VmHWM), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) if found else 0


def _timed(client: httpx.Client, method: str, url: str, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.request(method, url, **kwargs)
    return (time.perf_counter() - started) * 1000, response


def _summary(times: list[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def review_queue(folder: Path) -> dict[str, Any]:
    database = folder / "review.db"
    keys = [
        {"name": "operations", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
        {
            "name": "reviewer",
            "key": REVIEWER_KEY,
            "scopes": ["feedback:read:all", "feedback:review"],
        },
    ]
    settings = console_config()
    settings["auth"] = {"mode": "dev", "api_keys": keys}
    config = write_config(
        folder / "review.yaml", config_dict(database_url=f"sqlite:///{database}", **settings)
    )
    migrate_for(config)
    seed_feedback(database, ROWS)
    with closing(sqlite3.connect(database)) as conn, conn:
        conn.execute(CORRECTED)
        open_items = conn.execute(
            "SELECT id FROM feedback WHERE review_status = 'open' AND source = 'customer' AND "
            "(rating = 'down' OR comment IS NOT NULL) ORDER BY created_time, id LIMIT 200"
        ).fetchall()
    result: dict[str, Any] = {"rows": ROWS}
    server = start_server(config, migrate=False)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            signed = client.post("/admin/login", data={"api_key": REVIEWER_KEY})
            assert signed.status_code == 303, signed.text[:200]
            client.get("/admin/review")  # warm
            opened = []
            for _ in range(REQUESTS):
                elapsed, response = _timed(client, "GET", "/admin/review")
                assert response.status_code == 200, response.text[:200]
                opened.append(elapsed)
            result["open_queue"] = {**_summary(opened), "kib": round(len(response.content) / 1024)}
            moved = []
            for (item,) in open_items[:REQUESTS]:
                elapsed, response = _timed(client, "GET", f"/admin/review?item={item}")
                assert response.status_code == 200, response.text[:200]
                moved.append(elapsed)
            result["next_item"] = _summary(moved)
            acted = []
            for (item,) in open_items[REQUESTS : 2 * REQUESTS]:
                form = {"action": "reviewed", "version": "0"}
                elapsed, response = _timed(
                    client,
                    "POST",
                    f"/admin/review/{item}",
                    data=form,
                    headers={"Origin": server.url},
                )
                assert response.status_code == 303, response.text[:200]
                acted.append(elapsed)
            result["mark_reviewed"] = _summary(acted)
        headers = {"X-API-Key": OPERATOR_KEY}
        with httpx.Client(base_url=server.url, timeout=600, headers=headers) as client:
            for kind in ("sft", "preferences"):
                before = _peak_kib(server.process.pid)
                started = time.perf_counter()
                lines = size = 0
                with client.stream("GET", f"/api/v1/datasets/{kind}.jsonl") as response:
                    assert response.status_code == 200
                    for chunk in response.iter_bytes():
                        size += len(chunk)
                        lines += chunk.count(b"\n")
                seconds = time.perf_counter() - started
                result[kind] = {
                    "lines": lines,
                    "mib": round(size / 2**20, 1),
                    "seconds": round(seconds, 2),
                    "lines_per_second": round(lines / seconds),
                    "peak_rss_mib": round(_peak_kib(server.process.pid) / 1024, 1),
                    "peak_growth_mib": round((_peak_kib(server.process.pid) - before) / 1024, 1),
                }
        return result
    finally:
        stop_server(server)


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(review_queue(Path(tmp)), indent=2))
