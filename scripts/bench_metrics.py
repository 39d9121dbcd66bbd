"""`make bench-metrics`: what Prometheus metrics cost a feedback POST, off against on, in one run.

Each round starts our server twice on a fresh SQLite file (pinned to core 0, the load
generator on core 1), once with `observability.metrics.enabled: false` and once with `true`,
in alternating order, pushes N completed tasks and then sends N `POST /api/v1/feedback` at
concurrency 16 over keep-alive connections. The medians of the rounds' rates, and of the
server's CPU time a request (from /proc, steadier than the rate when other work shares the
machine), are compared; the goal is a cost of at most 5%. With metrics on, the server is
scraped every second during the phase, as Prometheus would.

On a machine other work shares, those rates drift by more than the cost being measured, so
the same comparison also runs in one process (`--in-process`, first): both apps, off and on,
are called as ASGI apps in alternating batches of 16 concurrent feedback POSTs, and the
process's CPU time is summed per app. Drift then falls on both alike. No HTTP server is in
that loop, so the share it gives is an upper bound for a served request.

    python scripts/bench_metrics.py [--requests 3000] [--rounds 3] [--in-process-only]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.config import settings_from_mapping  # noqa: E402
from app.db.engine import create_database, database_url  # noqa: E402
from app.db.migrate import upgrade  # noqa: E402
from app.main import create_app  # noqa: E402
from scripts.bench import CONCURRENCY, LOAD_CPU, json_post, server  # noqa: E402
from scripts.loadgen import run_phase  # noqa: E402
from tests.support import config_dict, free_port, write_config  # noqa: E402
from tests.support.metrics import KEYS, SCRAPER  # noqa: E402

UNLIMITED = {"per_user": "1000000/minute", "per_address": "1000000/minute"}


async def scrape_every_second(port: int) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        while True:
            response = await client.get("/metrics", headers=SCRAPER)
            assert response.status_code == 200, response.text
            await asyncio.sleep(1)


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def feedback_rate(port: int, pid: int, n: int, *, scraped: bool) -> tuple[float, float]:
    """Requests a second, and the server's CPU microseconds a request."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        session = (await client.post("/api/v1/sessions", json={})).json()["id"]
    await run_phase(
        "push tasks",
        port,
        lambda i: json_post(
            f"/api/v1/sessions/{session}/tasks",
            {"id": f"t{i}", "request_text": f"q{i}", "status": "completed", "response_text": "a"},
        ),
        concurrency=CONCURRENCY,
        total=n,
    )
    scraper = asyncio.create_task(scrape_every_second(port)) if scraped else None
    cpu_before = cpu_seconds(pid)
    try:
        result = await run_phase(
            "POST feedback",
            port,
            lambda i: json_post(
                "/api/v1/feedback",
                {
                    "taskId": f"t{i}",
                    "sessionId": session,
                    "feedbackType": "up" if i % 3 else "down",
                },
            ),
            concurrency=CONCURRENCY,
            total=n,
        )
    finally:
        if scraper is not None:
            scraper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scraper
    cpu = cpu_seconds(pid) - cpu_before
    assert set(result.statuses) == {202}, result.statuses
    return result.rate, cpu / n * 1e6


def one_server(folder: Path, n: int, *, metrics: bool) -> tuple[float, float]:
    name = "on" if metrics else "off"
    url = f"sqlite:///{folder / f'{name}.db'}"
    limits = {"enabled": True, "feedback": UNLIMITED, "api": UNLIMITED, "chats": UNLIMITED}
    config = config_dict(
        database_url=url,
        rate_limits=limits,
        observability={"metrics": {"enabled": metrics}},
        auth={"mode": "dev", "api_keys": KEYS},
    )
    path = write_config(folder / f"{name}.yaml", config)
    migrate = [sys.executable, "-m", "app", "migrate", "--config", str(path)]
    subprocess.run(migrate, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    command = [sys.executable, "-m", "app", "serve", "--config", str(path), "--port", str(port)]
    log = folder / f"{name}.log"
    with server([*command, "--log-level", "warning"], port, log, pinned=True) as process:
        return asyncio.run(feedback_rate(port, process.pid, n, scraped=metrics))


class Direct:
    """An app called as ASGI, without a server: what a request costs the app itself."""

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app, self.state = app, state

    async def post(self, path: str, body: dict[str, object]) -> int:
        raw = json.dumps(body).encode()
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
            "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                        (b"content-length", str(len(raw)).encode())],
            "state": dict(self.state),
        }  # fmt: skip
        messages = [{"type": "http.request", "body": raw, "more_body": False}]
        status = 0

        async def receive() -> dict[str, Any]:
            if messages:
                return messages.pop()
            await asyncio.sleep(3600)  # the client never goes away
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, send)
        return status


@asynccontextmanager
async def direct_app(folder: Path, *, metrics: bool) -> AsyncIterator[Direct]:
    url = f"sqlite:///{folder / ('on.db' if metrics else 'off.db')}"
    db = create_database(database_url(url))
    await upgrade(db)
    await db.dispose()
    config = config_dict(
        database_url=url,
        observability={"metrics": {"enabled": metrics}},
        auth={"mode": "dev", "api_keys": KEYS},
    )
    app = create_app(settings_from_mapping(config, env={}))
    async with app.router.lifespan_context(app) as state:
        yield Direct(app, dict(state or {}))


async def in_process(n: int, batch: int = 16) -> dict[bool, float]:
    """CPU microseconds a feedback POST, with metrics off and on, in alternating batches.
    Twice, each app built first once: of two apps with metrics off, the one built second
    measured 7-13% dearer here (an A/A run), which would otherwise be charged to metrics."""
    cpu = {False: 0.0, True: 0.0}
    for first in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            async with (
                direct_app(Path(folder), metrics=first) as one,
                direct_app(Path(folder), metrics=not first) as other,
            ):
                await _alternate({first: one, not first: other}, n, batch, cpu)
    return {metrics: seconds / (2 * n) * 1e6 for metrics, seconds in cpu.items()}


async def _alternate(apps: dict[bool, Direct], n: int, batch: int, cpu: dict[bool, float]) -> None:
    for app in apps.values():
        assert await app.post("/api/v1/sessions", {"id": "s"}) == 201
        for i in range(n):
            body = {"id": f"t{i}", "request_text": "q", "status": "completed"}
            assert await app.post("/api/v1/sessions/s/tasks", body) == 201
    for start in range(0, n, batch):
        order = (False, True) if start // batch % 2 == 0 else (True, False)
        for metrics in order:
            began = time.process_time()
            statuses = await asyncio.gather(
                *(
                    apps[metrics].post(
                        "/api/v1/feedback",
                        {"taskId": f"t{i}", "sessionId": "s", "feedbackType": "up"},
                    )
                    for i in range(start, min(start + batch, n))
                )
            )
            cpu[metrics] += time.process_time() - began
            assert set(statuses) == {202}, statuses


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--in-process-only", action="store_true")
    args = parser.parse_args()
    direct = asyncio.run(in_process(args.requests))
    print(
        f"in one process, CPU a feedback POST: off {direct[False]:,.0f} µs, on "
        f"{direct[True]:,.0f} µs: {(direct[True] - direct[False]) / direct[False] * 100:+.1f}%"
    )
    if args.in_process_only:
        return
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {LOAD_CPU})
    rates: dict[bool, list[float]] = {False: [], True: []}
    cpu: dict[bool, list[float]] = {False: [], True: []}
    for number in range(args.rounds):
        order = (False, True) if number % 2 == 0 else (True, False)
        for metrics in order:
            with tempfile.TemporaryDirectory() as folder:
                rate, micros = one_server(Path(folder), args.requests, metrics=metrics)
            rates[metrics].append(rate)
            cpu[metrics].append(micros)
            state = "on" if metrics else "off"
            print(f"round {number + 1}, metrics {state}: {rate:,.0f} req/s, {micros:,.0f} µs CPU")
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    cpu_off, cpu_on = statistics.median(cpu[False]), statistics.median(cpu[True])
    print(
        f"POST /api/v1/feedback, medians: off {off:,.0f} req/s and {cpu_off:,.0f} µs CPU a "
        f"request; on {on:,.0f} req/s and {cpu_on:,.0f} µs. Cost: "
        f"{(off - on) / off * 100:.1f}% of the rate, {(cpu_on - cpu_off) / cpu_off * 100:.1f}% "
        "CPU (goal: at most 5%)"
    )


if __name__ == "__main__":
    main()
