"""The console's dashboard with 100,000 feedback rows in SQLite: server time of its HTML for
the default 7 days and for 30 days (every row), part of `make bench`."""

from __future__ import annotations

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

ROWS = 100_000
REQUESTS = 20


def console_dashboard(folder: Path) -> dict[str, Any]:
    database = folder / "console.db"
    config = write_config(
        folder / "console.yaml",
        config_dict(database_url=f"sqlite:///{database}", **console_config()),
    )
    migrate_for(config)
    seed_feedback(database, ROWS)
    server = start_server(config, migrate=False)
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            client.post("/admin/login", data={"api_key": OPERATOR_KEY})
            result: dict[str, Any] = {"rows": ROWS}
            for name, query in (("7d", ""), ("30d", "?range=30d")):
                client.get(f"/admin{query}")  # warm
                times = []
                for _ in range(REQUESTS):
                    started = time.perf_counter()
                    response = client.get(f"/admin{query}")
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.text[:200]
                result[name] = {
                    "p50_ms": round(statistics.median(times), 1),
                    "max_ms": round(max(times), 1),
                    "kib": round(len(response.content) / 1024, 1),
                }
            started = time.perf_counter()
            exported = client.get("/admin/export?format=csv&range=30d")
            result["export_csv_seconds"] = round(time.perf_counter() - started, 2)
            result["export_mib"] = round(len(exported.content) / 2**20, 1)
        return result
    finally:
        stop_server(server)


if __name__ == "__main__":
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(console_dashboard(Path(tmp)), indent=2))
