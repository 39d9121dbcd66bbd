"""`make bench`: our server against a plain Starlette floor, in one run, as ratios.

The floor (scripts/bench_floor.py) and our server (on a fresh SQLite file) are started in turn
and driven by the load generator (scripts/loadgen.py) with keep-alive HTTP/1.1 at concurrency
16 and N requests per phase, in two layouts:

- `pinned`: the server on core 0, the load generator on core 1 (what the server alone costs);
- `shared`: both free to use both cores, as on a user's laptop (the floor measured the same way).

Absolute numbers drift on a shared machine; the ratio to the floor measured in the same run
and layout is what to compare.

    python scripts/bench.py [--requests 3000] [--json bench-results.json] [--quick]
                            [--layout pinned|shared|both]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_console import console_dashboard  # noqa: E402
from scripts.bench_listing import listing_30k  # noqa: E402
from scripts.loadgen import (  # noqa: E402
    MANY_STREAMS,
    EventStream,
    PhaseResult,
    RequestFactory,
    read_response,
    request,
    run_phase,
)
from tests.support import config_dict, free_port, write_config  # noqa: E402

CONCURRENCY = 16
SERVER_CPU, LOAD_CPU = "0", 1
LAYOUTS = ("pinned", "shared")
MARKDOWN = (
    "Here is answer **{n}** with a [link](https://example.com/{n}), a list:\n\n"
    "- first point about item {n}\n- second point\n\n```python\nprint({n})\n```\n"
)


@contextmanager
def server(
    command: list[str], port: int, log: Path, *, pinned: bool
) -> Iterator[subprocess.Popen[bytes]]:
    if pinned and os.path.exists("/usr/bin/taskset"):
        command = ["taskset", "-c", SERVER_CPU, *command]
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/feedback", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server did not answer:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def json_post(path: str, body: dict[str, object]) -> bytes:
    return request("POST", path, json.dumps(body).encode())


async def floor_phases(port: int, n: int) -> dict[str, PhaseResult]:
    body = {"taskId": "t", "sessionId": "s", "feedbackType": "up", "feedbackText": "Nice."}
    post = json_post("/api/v1/feedback", body)
    task = json_post("/api/v1/sessions/s/tasks", {"request_text": "q", "status": "completed"})
    get = request("GET", "/api/v1/feedback?page_size=20")
    await run_phase("warm-up", port, lambda _: get, concurrency=CONCURRENCY, total=500)
    return {
        "post_feedback": await run_phase(
            "floor POST", port, lambda _: post, concurrency=CONCURRENCY, total=n
        ),
        "post_task": await run_phase(
            "floor task", port, lambda _: task, concurrency=CONCURRENCY, total=n
        ),
        "get_feedback": await run_phase(
            "floor GET", port, lambda _: get, concurrency=CONCURRENCY, total=n
        ),
    }


async def our_phases(
    port: int, pid: int, n: int, quick: bool, *, everything: bool
) -> dict[str, object]:
    """The request phases and the live streams; with `everything`, also the mixed writers
    and the long chat page (those are measured in one layout only)."""
    results: dict[str, object] = {}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        session = (await client.post("/api/v1/sessions", json={})).json()["id"]
    config = request("GET", "/api/v1/config")
    await run_phase("warm-up", port, lambda _: config, concurrency=CONCURRENCY, total=500)
    tasks_path = f"/api/v1/sessions/{session}/tasks"
    results["post_task"] = await run_phase(
        "POST tasks",
        port,
        lambda i: json_post(
            tasks_path,
            {
                "id": f"t{i}",
                "request_text": f"question {i}",
                "status": "completed",
                "response_text": f"answer {i}",
            },
        ),
        concurrency=CONCURRENCY,
        total=n,
    )
    results["post_feedback"] = await run_phase(
        "POST feedback",
        port,
        lambda i: json_post(
            "/api/v1/feedback",
            {
                "taskId": f"t{i}",
                "sessionId": session,
                "feedbackType": "up" if i % 3 else "down",
                "feedbackText": "Clear and to the point.",
            },
        ),
        concurrency=CONCURRENCY,
        total=n,
    )
    listing = request("GET", "/api/v1/feedback?page_size=20")
    results["get_feedback"] = await run_phase(
        "GET feedback", port, lambda _: listing, concurrency=CONCURRENCY, total=n
    )
    if everything:
        results["mixed_writers"] = await mixed_writers(port, session, seconds=5 if quick else 30)
        results["chat_page"] = await long_transcript(port, turns=1000)
    results["sse"] = await live_clients(port, pid, clients=2000 if quick else 10_000)
    return results


async def mixed_writers(port: int, session: str, *, seconds: float) -> PhaseResult:
    """64 writers, each cycling: push a completed task, rate it, push a running one, append,
    and append-and-complete. Every step is a write; none may fail or take over 250 ms."""
    steps = 5

    def make(i: int) -> bytes:
        cycle, step = divmod(i, steps)
        done, live = f"m{cycle}", f"r{cycle}"
        if step == 0:
            return json_post(
                f"/api/v1/sessions/{session}/tasks",
                {"id": done, "request_text": "q", "status": "completed", "response_text": "a"},
            )
        if step == 1:
            return json_post(
                "/api/v1/feedback", {"taskId": done, "sessionId": session, "feedbackType": "up"}
            )
        if step == 2:
            return json_post(f"/api/v1/sessions/{session}/tasks", {"id": live, "request_text": "q"})
        body = (
            {"append_text": "more text "}
            if step == 3
            else {"append_text": "end.", "status": "completed"}
        )
        return request("PATCH", f"/api/v1/tasks/{live}", json.dumps(body).encode())

    return await run_cycles(port, make, steps=steps, writers=64, seconds=seconds)


async def run_cycles(
    port: int, make: RequestFactory, *, steps: int, writers: int, seconds: float
) -> PhaseResult:
    """Each connection owns whole cycles, so the steps of one cycle run in order."""
    result = PhaseResult("mixed writers", 0.0)
    cycles = itertools.count()
    deadline = time.perf_counter() + seconds

    async def writer_loop() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                cycle = next(cycles)
                for step in range(steps):
                    payload = make(cycle * steps + step)
                    started = time.perf_counter()
                    writer.write(payload)
                    status, _length = await read_response(reader)
                    result.latencies_ms.append((time.perf_counter() - started) * 1000)
                    result.statuses[status] += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(writer_loop() for _ in range(writers)))
    result.elapsed = time.perf_counter() - started
    return result


async def long_transcript(port: int, *, turns: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        session = (await client.post("/api/v1/sessions", json={})).json()["id"]
    path = f"/api/v1/sessions/{session}/tasks"
    await run_phase(
        "seed",
        port,
        lambda i: json_post(
            path,
            {
                "request_text": f"Question {i}?",
                "status": "completed",
                "response_text": MARKDOWN.format(n=i),
            },
        ),
        concurrency=4,
        total=turns,
    )
    page = request("GET", f"/chat/{session}")
    await run_phase("warm", port, lambda _: page, concurrency=1, total=3)
    timed = await run_phase("chat page", port, lambda _: page, concurrency=1, total=50)
    return {"turns": turns, **timed.summary()}


async def live_clients(port: int, pid: int, *, clients: int) -> dict[str, object]:
    watchers = min(1000, clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        sessions = [
            (await client.post("/api/v1/sessions", json={})).json()["id"]
            for _ in range(max(1, clients // watchers))
        ]
    gc.collect()
    await asyncio.sleep(1)
    before = rss_kib(pid)
    streams: list[tuple[str, EventStream]] = []
    started = time.perf_counter()
    in_flight = asyncio.Semaphore(64)

    async def connect(number: int) -> None:
        async with in_flight:
            session = sessions[number % len(sessions)]
            streams.append((session, await EventStream.open(port, f"/chat/{session}/events")))

    await asyncio.gather(*(connect(n) for n in range(clients)))
    opened = time.perf_counter() - started
    await asyncio.sleep(2)
    after = rss_kib(pid)
    target = sessions[0]
    mine = [stream for session, stream in streams if session == target]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        waiting = [asyncio.create_task(s.wait_for(b"event: task-created")) for s in mine]
        await asyncio.sleep(0.2)
        sent = time.perf_counter()
        await client.post(f"/api/v1/sessions/{target}/tasks", json={"request_text": "hello all"})
        arrivals = await asyncio.wait_for(asyncio.gather(*waiting), 30)
    for _session, stream in streams:
        stream.close()
    return {
        "clients": clients,
        "streams_per_second": round(clients / opened),
        "kib_per_client": round((after - before) / clients, 1),
        "watchers": len(mine),
        "first_arrival_ms": round((min(arrivals) - sent) * 1000, 1),
        "fanout_ms": round((max(arrivals) - sent) * 1000, 1),
    }


def row(name: str, ours: PhaseResult, floor: PhaseResult | None, goal: str) -> str:
    ratio = f"{ours.rate / floor.rate:.3f}" if floor else "-"
    floor_rate = f"{floor.rate:,.0f}" if floor else "-"
    errors = sum(n for code, n in ours.statuses.items() if code >= 500)
    return (
        f"| {name} | {floor_rate} | {ours.rate:,.0f} | {ratio} | "
        f"{ours.percentile(0.5):.1f} / {ours.percentile(0.99):.1f} / "
        f"{max(ours.latencies_ms):.1f} | "
        f"{dict(sorted(ours.statuses.items()))} | {errors} | {goal} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--json", default="bench-results.json")
    parser.add_argument("--quick", action="store_true", help="shorter mixed and SSE phases")
    parser.add_argument("--layout", choices=[*LAYOUTS, "both"], default="both")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    layouts = LAYOUTS if args.layout == "both" else (args.layout,)
    runs: dict[str, tuple[dict[str, PhaseResult], dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        for number, layout in enumerate(layouts):
            runs[layout] = run_layout(Path(folder) / layout, layout, args, first=number == 0)
    report(runs, Path(args.json))


def run_layout(
    folder: Path, layout: str, args: argparse.Namespace, *, first: bool
) -> tuple[dict[str, PhaseResult], dict[str, Any]]:
    """The floor and our server, measured in one layout."""
    folder.mkdir()
    pinned = layout == "pinned"
    many_cores = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    if many_cores:
        cores = {LOAD_CPU} if pinned else set(range(os.cpu_count() or 1))
        os.sched_setaffinity(0, cores)
    port = free_port()
    floor_cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(ROOT / "scripts"),
        "bench_floor:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with server(floor_cmd, port, folder / "floor.log", pinned=pinned):
        floor = asyncio.run(floor_phases(port, args.requests))
    url = f"sqlite:///{folder / 'bench.db'}"
    limits = {
        "enabled": True,
        "feedback": {"per_user": "1000000/minute", "per_address": "1000000/minute"},
        "messages": {"per_user": "1000000/minute", "per_address": "1000000/minute"},
        "api": {"per_user": "1000000/minute", "per_address": "1000000/minute"},
        "chats": {"per_user": "1000000/minute", "per_address": "1000000/minute"},
    }
    config = config_dict(
        database_url=url, rate_limits=limits, sse={"client_queue_size": 64}, **MANY_STREAMS
    )
    config_path = write_config(folder / "bench.yaml", config)
    subprocess.run(
        [sys.executable, "-m", "app", "migrate", "--config", str(config_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    port = free_port()
    ours_cmd = [
        sys.executable,
        "-m",
        "app",
        "serve",
        "--config",
        str(config_path),
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with server(ours_cmd, port, folder / "ours.log", pinned=pinned) as process:
        ours = asyncio.run(
            our_phases(port, process.pid, args.requests, args.quick, everything=first)
        )
    if first:
        ours["listing"] = listing_30k(folder, pinned=pinned)
        ours["console"] = console_dashboard(folder)
    return floor, ours


GOALS = {
    "post_feedback": ("POST /api/v1/feedback", "≥ 0.12, p99 ≤ 25, max ≤ 100"),
    "post_task": ("POST /api/v1/sessions/{id}/tasks", "≥ 0.12, p99 ≤ 25"),
    "get_feedback": ("GET /api/v1/feedback (20 rows)", "≥ 0.15, p99 ≤ 25"),
}


def report(runs: dict[str, tuple[dict[str, PhaseResult], dict[str, Any]]], path: Path) -> None:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    figures: dict[str, Any] = {"date": day}
    for layout, (floor, ours) in runs.items():
        print(
            f"\n`make bench`, {day}, SQLite, {layout} cores, concurrency {CONCURRENCY}, "
            "keep-alive HTTP/1.1\n"
        )
        print(
            "| phase | floor req/s | ours req/s | ratio | p50 / p99 / max ms | statuses | 5xx "
            "| goal |"
        )
        print("|---|---|---|---|---|---|---|---|")
        for key, (name, goal) in GOALS.items():
            print(row(name, ours[key], floor[key], goal))
        if "mixed_writers" in ours:
            print(row("64 mixed writers", ours["mixed_writers"], None, "0 errors, max ≤ 250"))
        print_extras(ours)
        figures[layout] = {
            "floor": {key: result.summary() for key, result in floor.items()},
            "ours": {
                key: value.summary() if isinstance(value, PhaseResult) else value
                for key, value in ours.items()
            },
        }
        for key in GOALS:
            figures[layout]["ours"][key]["ratio"] = round(ours[key].rate / floor[key].rate, 3)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nfigures written to {path}")


def print_extras(ours: dict[str, Any]) -> None:
    sse = ours["sse"]
    print(
        f"\nSSE: {sse['clients']} clients, {sse['kib_per_client']} KiB each, "
        f"{sse['streams_per_second']} new streams/s, one event to {sse['watchers']} watchers in "
        f"{sse['fanout_ms']} ms (goal ≤ 25 KB, ≥ 1500/s, ≤ 50 ms)"
    )
    if "chat_page" in ours:
        page = ours["chat_page"]
        print(
            f"chat page, {page['turns']} turns: p50 {page['p50_ms']} ms, "
            f"{page['mean_bytes'] / 1024:.0f} KiB (goal ≤ 30 ms, ≤ 300 KB)"
        )
    if "listing" in ours:
        listing = ours["listing"]
        shown = ", ".join(
            f"{name} p50 {value['p50_ms']} ms" for name, value in listing["pages"].items()
        )
        print(
            f"listing, {listing['rows']:,} rows, one request at a time: {shown} "
            "(goal: first page ≤ 2 ms, page 500 ≤ 8 ms)"
        )
    if "console" in ours:
        console = ours["console"]
        print(
            f"console dashboard, {console['rows']:,} rows: 7 days p50 "
            f"{console['7d']['p50_ms']} ms, 30 days p50 {console['30d']['p50_ms']} ms (max "
            f"{console['30d']['max_ms']}) (goal ≤ 300 ms); CSV export of 30 days "
            f"{console['export_mib']} MiB in {console['export_csv_seconds']} s"
        )


if __name__ == "__main__":
    main()
