"""`feedback-widget serve --workers 2` with metrics on: requests spread over both workers, and
a scrape, whichever worker answers it, sums them all (prometheus-client's multiprocess mode,
in a folder the serve command makes and removes)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from app.metrics.exposition import MULTIPROCESS_ENV, forget_dead_workers, forget_worker
from tests.support import (
    REDIS_URL,
    ServerProcess,
    config_dict,
    eventually,
    start_server,
    stop_server,
    write_config,
)
from tests.support.metrics import metrics_config, moved, scrape, value


def two_worker_config(tmp_path: Path, postgres_url: str) -> Path:
    """What several workers need (PostgreSQL, Redis fan-out), and metrics."""
    prefix = f"fw-test-{uuid.uuid4().hex[:8]}"
    sse = {"fanout_url": REDIS_URL, "ping_seconds": 1, "key_prefix": prefix}
    config = config_dict(database_url=postgres_url, sse=sse, **metrics_config())
    return write_config(tmp_path / f"{prefix}.yaml", config)


def metric_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("feedback-widget-metrics-*"))


async def answering(server: ServerProcess) -> None:
    """Until both workers have answered. They start in turn; on a loaded 2-core machine that
    can take 20 s and more."""
    seen: set[str] = set()

    async def both_up() -> bool:
        assert server.process.poll() is None, server.log()
        with contextlib.suppress(httpx.HTTPError):
            seen.add((await fresh(server.url, "GET", "/api/v1/health")).json()["instance"])
        return len(seen) == 2

    await eventually(both_up, within=90, what="both workers to start")


async def fresh(url: str, method: str, path: str, **options: object) -> httpx.Response:
    """A request on a new connection: the kernel hands each to either worker."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        return await client.request(method, path, **options)  # type: ignore[arg-type]


async def test_a_scrape_sums_every_worker(tmp_path: Path, postgres_url: str) -> None:
    config = two_worker_config(tmp_path, postgres_url)
    earlier_folders = metric_folders()
    server = start_server(config, migrate=False, args=("--workers", "2"), wait=False)
    try:
        await answering(server)
        (folder,) = metric_folders() - earlier_folders
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            before = await scrape(client)
            session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
            tasks = []
            for n in range(12):
                body = {"request_text": f"q{n}", "status": "completed", "response_text": "a"}
                created = await client.post(f"/api/v1/sessions/{session_id}/tasks", json=body)
                tasks.append(created.json()["id"])
        for task_id in tasks:
            body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "down"}
            assert (await fresh(server.url, "POST", "/api/v1/feedback", json=body)).is_success
        workers = set()
        for _ in range(40):
            workers.add((await fresh(server.url, "GET", "/api/v1/health")).json()["instance"])
        assert len(workers) == 2, workers  # the requests did reach both
        health = {"route": "/api/v1/health", "method": "GET", "status": "200"}

        async def counted() -> bool:
            # A worker counts a request just after its response has gone.
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                samples = await scrape(client)
            return moved(before, samples, "feedback_widget_http_requests_total", **health) == 40

        await eventually(counted, what="the last request to be counted")
        for _ in range(4):  # whichever worker answers the scrape, it counts them all
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
                after = await scrape(client)
            assert moved(before, after, "feedback_widget_http_requests_total", **health) == 40
            feedback = {"route": "/api/v1/feedback", "method": "POST", "status": "202"}
            assert moved(before, after, "feedback_widget_http_requests_total", **feedback) == 12
            stored = {"door": "api", "rating": "down", "source": "customer"}
            assert moved(before, after, "feedback_widget_feedback_stored_total", **stored) == 12

        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            streams = [client.stream("GET", f"/chat/{session_id}/events") for _ in range(4)]
            for stream in streams:
                await stream.__aenter__()
            try:
                async with httpx.AsyncClient(base_url=server.url, timeout=30) as scraper:
                    samples = await scrape(scraper)
                assert value(samples, "feedback_widget_live_streams_open") == 4
            finally:
                for stream in streams:
                    await stream.__aexit__(None, None, None)

            async def all_closed() -> bool:
                samples = await scrape(client)
                return value(samples, "feedback_widget_live_streams_open") == 0

            await eventually(all_closed, what="the streams to close")
    finally:
        stop_server(server)
    assert not folder.exists()  # the serve command cleans up after its workers


def ended_process_id() -> int:
    process = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                             capture_output=True, text=True)  # fmt: skip
    return int(process.stdout)


def test_a_worker_that_ended_stops_counting_in_live_gauges_but_not_in_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(MULTIPROCESS_ENV, str(tmp_path))
    crashed, this = ended_process_id(), os.getpid()
    files = {
        name: tmp_path / name
        for name in (
            f"gauge_livesum_{crashed}.db",
            f"counter_{crashed}.db",
            f"histogram_{crashed}.db",
            f"gauge_livesum_{this}.db",
        )
    }
    for path in files.values():
        path.write_bytes(b"")

    forget_dead_workers()  # what a worker does when it starts
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"counter_{crashed}.db", f"histogram_{crashed}.db", f"gauge_livesum_{this}.db"]
    )
    forget_worker()  # what it does when it ends in order
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [f"counter_{crashed}.db", f"histogram_{crashed}.db"]
    )
