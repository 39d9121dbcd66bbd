"""What alerts cost a feedback POST: the same server with no rules and with three (one plain,
one filtered by model, one by reason), judged after committed feedback (coalesced) and on a
timer.

The server runs pinned to core 0 and the load generator to core 1, on a fresh SQLite file;
the two variants alternate `--rounds` times, and each phase POSTs `--requests` feedback at
concurrency 16 (a third of them thumbs-down with the reason "Wrong": the plain and model rules
stay quiet, the reason rule fires once). Throughput on a shared machine drifts; the server's
CPU time per feedback is the steadier figure.

    python scripts/bench_alerts.py [--requests 3000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench import CONCURRENCY, LOAD_CPU, json_post, server  # noqa: E402
from scripts.loadgen import PhaseResult, run_phase  # noqa: E402
from tests.support import config_dict, free_port, write_config  # noqa: E402

RULE = {"negative_share_above": 0.5, "window_minutes": 15, "min_feedback": 10}
RULES = [
    {"name": "negative-answers", **RULE},
    {"name": "negative-on-m1", "model": "m-1", **RULE},
    {"name": "wrong-answers", "reason": "Wrong", **RULE},
]


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def post_feedback(port: int, pid: int, n: int) -> tuple[PhaseResult, float]:
    """The POST phase, and the server's CPU milliseconds per feedback during it."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        session = (await client.post("/api/v1/sessions", json={})).json()["id"]
    tasks_path = f"/api/v1/sessions/{session}/tasks"
    task = {"request_text": "q", "status": "completed", "response_text": "a", "model": "m-1"}
    await run_phase(
        "tasks",
        port,
        lambda i: json_post(tasks_path, {"id": f"t{i}", **task}),
        concurrency=CONCURRENCY,
        total=n,
    )

    def rate(i: int) -> bytes:
        down = i % 3 == 0
        body = {"taskId": f"t{i}", "sessionId": session, "feedbackType": "down" if down else "up"}
        return json_post("/api/v1/feedback", {**body, "reasons": ["Wrong"]} if down else body)

    before = cpu_seconds(pid)
    result = await run_phase("POST feedback", port, rate, concurrency=CONCURRENCY, total=n)
    await asyncio.sleep(1)  # the last passes the burst started
    return result, (cpu_seconds(pid) - before) * 1000 / n


def measure(folder: Path, *, alerts: bool, n: int) -> tuple[PhaseResult, float]:
    folder.mkdir()
    hook = f"http://127.0.0.1:{free_port()}/hook"
    options: dict[str, Any] = {
        "database_url": f"sqlite:///{folder / 'bench.db'}",
        "feedback_reasons": {"down": ["Wrong"]},
    }
    if alerts:
        options["alerts"] = [{**rule, "webhook_url": hook} for rule in RULES]
    config_path = write_config(folder / "bench.yaml", config_dict(**options))
    app = [sys.executable, "-m", "app"]
    subprocess.run(
        [*app, "migrate", "--config", str(config_path)], cwd=ROOT, check=True, capture_output=True
    )
    port = free_port()
    command = [*app, "serve", "--config", str(config_path), "--port", str(port)]
    with server([*command, "--log-level", "warning"], port, folder / "log", pinned=True) as process:
        return asyncio.run(post_feedback(port, process.pid, n))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {LOAD_CPU})
    results: dict[str, list[PhaseResult]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_number in range(args.rounds):
            for variant in ("off", "on"):
                folder = Path(tmp) / f"{variant}-{round_number}"
                result, cpu_ms = measure(folder, alerts=variant == "on", n=args.requests)
                results[variant].append(result)
                cpu[variant].append(cpu_ms)
                summary = {**result.summary(), "cpu_ms_per_request": round(cpu_ms, 3)}
                print(variant, json.dumps(summary), flush=True)
    rate = {v: statistics.mean(r.rate for r in runs) for v, runs in results.items()}
    p50 = {v: statistics.mean(r.percentile(0.5) for r in runs) for v, runs in results.items()}
    p99 = {v: statistics.mean(r.percentile(0.99) for r in runs) for v, runs in results.items()}
    per = {v: statistics.median(values) for v, values in cpu.items()}
    print(
        f"server CPU per feedback (median): {per['off']:.3f} -> {per['on']:.3f} ms "
        f"({per['on'] / per['off'] - 1:+.1%})"
    )
    print(
        f"POST /api/v1/feedback, {args.requests} x {args.rounds}: "
        f"{rate['off']:.0f} -> {rate['on']:.0f} req/s ({rate['on'] / rate['off'] - 1:+.1%}), "
        f"p50 {p50['off']:.2f} -> {p50['on']:.2f} ms, p99 {p99['off']:.2f} -> {p99['on']:.2f} ms"
    )


if __name__ == "__main__":
    main()
