"""`make bench-instances`: several instances on PostgreSQL with Redis fan-out.

- cross-instance latency: an update committed on B, heard by a stream on A (1,000 of them);
- 5,000 live clients spread over 2 instances: memory and CPU per process;
- feedback POST throughput on PostgreSQL, 1 worker against `serve --workers 2`. The load
  generator runs on this same 2-core machine, so 2 workers share the cores with it.

Needs the PostgreSQL and Redis of FEEDBACK_WIDGET_TEST_POSTGRES_URL / _REDIS_URL.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench import json_post, rss_kib  # noqa: E402
from scripts.loadgen import MANY_STREAMS, EventStream, run_phase  # noqa: E402
from tests.support import (  # noqa: E402
    REDIS_URL,
    config_dict,
    postgres_database,
    start_server,
    stop_server,
    write_config,
)


def config(folder: Path, url: str, **extra: Any) -> Path:
    prefix = f"fw-bench-{uuid.uuid4().hex[:6]}"
    data = config_dict(
        database_url=url,
        sse={"fanout_url": REDIS_URL, "key_prefix": prefix},
        rate_limits={"enabled": False},
        **{**MANY_STREAMS, **extra},
    )
    return write_config(folder / f"{prefix}.yaml", data)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


async def cross_instance_latency(a: str, b: str, events: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=b, timeout=30) as client:
        session = (await client.post("/api/v1/sessions", json={})).json()["id"]
        await client.post(
            f"/api/v1/sessions/{session}/tasks", json={"id": "x", "request_text": "q"}
        )
        port = int(a.rsplit(":", 1)[1])
        stream = await EventStream.open(port, f"/chat/{session}/events")
        latencies, before_answer = [], 0
        for number in range(events):
            marker = f"m{number}."
            waiting = asyncio.create_task(stream.wait_for(marker.encode()))
            sent = time.perf_counter()
            await client.patch("/api/v1/tasks/x", json={"append_text": marker})
            answered = time.perf_counter()  # B commits before it answers
            arrived = await asyncio.wait_for(waiting, 10)
            latencies.append((arrived - sent) * 1000)
            before_answer += arrived < answered
        stream.close()
    latencies.sort()
    return {
        "events": events,
        # From sending the write to B (so B's handling and commit are included) to A's page.
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)], 2),
        "heard_on_a_before_b_answered": before_answer,
    }


async def clients_over_two(servers: list[Any], clients: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=servers[0].url, timeout=30) as client:
        sessions = [
            (await client.post("/api/v1/sessions", json={})).json()["id"] for _ in range(10)
        ]
    before = [rss_kib(s.process.pid) for s in servers]
    streams = []
    in_flight = asyncio.Semaphore(64)

    async def connect(number: int) -> None:
        server = servers[number % len(servers)]
        async with in_flight:
            port = int(server.url.rsplit(":", 1)[1])
            path = f"/chat/{sessions[number % len(sessions)]}/events"
            streams.append(await EventStream.open(port, path))

    await asyncio.gather(*(connect(n) for n in range(clients)))
    await asyncio.sleep(2)
    after = [rss_kib(s.process.pid) for s in servers]
    idle_start = [cpu_seconds(s.process.pid) for s in servers]
    await asyncio.sleep(10)
    idle = [
        cpu_seconds(s.process.pid) - start for s, start in zip(servers, idle_start, strict=True)
    ]
    for stream in streams:
        stream.close()
    return {
        "clients": clients,
        "per_process_rss_mib": [round(kib / 1024, 1) for kib in after],
        "kib_per_client": [
            round((a - b) / (clients / len(servers)), 1) for a, b in zip(after, before, strict=True)
        ],
        "idle_cpu_percent": [round(seconds / 10 * 100, 1) for seconds in idle],
    }


async def throughput(url: str, n: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        session = (await client.post("/api/v1/sessions", json={})).json()["id"]
    port = int(url.rsplit(":", 1)[1])
    path = f"/api/v1/sessions/{session}/tasks"
    await run_phase(
        "seed", port,
        lambda i: json_post(path, {"id": f"t{i}", "request_text": "q", "status": "completed",
                                   "response_text": "a"}),
        concurrency=16, total=n,
    )  # fmt: skip
    result = await run_phase(
        "feedback", port,
        lambda i: json_post("/api/v1/feedback", {"taskId": f"t{i}", "sessionId": session,
                                                 "feedbackType": "up"}),
        concurrency=16, total=n,
    )  # fmt: skip
    return result.summary()


async def main() -> None:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        async with postgres_database() as url:
            path = config(folder, url)
            first = start_server(path)
            second = start_server(path, migrate=False)
            try:
                results["cross_instance"] = await cross_instance_latency(
                    first.url, second.url, 1000
                )
                results["clients"] = await clients_over_two([first, second], 5000)
            finally:
                stop_server(first)
                stop_server(second)
        for workers in (1, 2):
            async with postgres_database() as url:
                path = config(folder, url)
                server = start_server(path, args=("--workers", str(workers)))
                try:
                    results[f"workers_{workers}"] = await throughput(server.url, 3000)
                finally:
                    stop_server(server)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
