"""`make bench-metrics`: what Prometheus metrics cost a feedback POST, off against on, in one run.

Each round starts our server twice on a fresh SQLite file (pinned to core 0, the load
generator on core 1), once with `observability.metrics.enabled: false` and once with `true`,
in alternating order, pushes N completed tasks and then sends N `POST /api/v1/feedback` at
concurrency 16 over keep-alive connections. The median of the rounds' rates is compared; the
goal is a cost of at most 5%. With metrics on, the server is scraped every second during the
phase, as Prometheus would.

    python scripts/bench_metrics.py [--requests 3000] [--rounds 3] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
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


async def feedback_rate(port: int, n: int, *, scraped: bool) -> float:
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
    assert set(result.statuses) == {202}, result.statuses
    return result.rate


def one_server(folder: Path, n: int, *, metrics: bool) -> float:
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
    with server([*command, "--log-level", "warning"], port, folder / f"{name}.log", pinned=True):
        return asyncio.run(feedback_rate(port, n, scraped=metrics))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {LOAD_CPU})
    rates: dict[bool, list[float]] = {False: [], True: []}
    for number in range(args.rounds):
        order = (False, True) if number % 2 == 0 else (True, False)
        for metrics in order:
            with tempfile.TemporaryDirectory() as folder:
                rate = one_server(Path(folder), args.requests, metrics=metrics)
            rates[metrics].append(rate)
            print(f"round {number + 1}, metrics {'on' if metrics else 'off'}: {rate:,.0f} req/s")
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    cost = (off - on) / off * 100
    print(f"POST /api/v1/feedback: off {off:,.0f} req/s, on {on:,.0f} req/s: cost {cost:.1f}%")
    print(f"(goal: at most 5%; every round: off {rates[False]}, on {rates[True]})")


if __name__ == "__main__":
    main()
