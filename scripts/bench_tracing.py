"""`make bench-tracing`: what traces and Phoenix annotations cost (issue 19's goal: tracing
at most 10% of a feedback POST).

The real server runs twice, each on a fresh SQLite file and pinned to core 0 (the load and
Phoenix share core 1): without observability, then exporting every turn to a real Arize
Phoenix (`otlp.endpoint`) and annotating every feedback there (`phoenix.url`). Each run:

- turns: TURNS widget messages to the echo agent, each in a chat of its own, 8 at a time; the
  server's CPU time per turn, until every turn has completed (its span ended);
- feedback: one POST /api/v1/feedback per finished turn at concurrency 16 (req/s, p50, p99),
  then until the outbox is empty; the server's CPU time per feedback, its annotation's
  staging and delivery to Phoenix included.

A turn's span costs less than the noise of a whole turn on a shared machine, so it is also
measured alone: SPANS turn spans started and ended in this process by the app's own code
(app/tracing) and exported to the same Phoenix, CPU time (all threads, the exporter's too)
per span.

    python scripts/bench_tracing.py [--turns 600] [--json bench-tracing.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from app.config.observability import OtlpSettings  # noqa: E402
from app.tracing.genai import TurnOutcome, TurnSpans, end_turn_span  # noqa: E402
from app.tracing.provider import start_tracing  # noqa: E402
from scripts.bench import CONCURRENCY, json_post, server  # noqa: E402
from scripts.bench_instances import cpu_seconds  # noqa: E402
from scripts.loadgen import run_phase  # noqa: E402
from tests.support import config_dict, free_port, write_config  # noqa: E402
from tests.support.phoenix import PhoenixServer  # noqa: E402

UNLIMITED = {"per_user": "1000000/minute", "per_address": "1000000/minute"}
LIMITS = {"enabled": True, **{name: UNLIMITED for name in ("feedback", "messages", "api", "chats")}}


async def turns(base: str, pid: int, count: int) -> tuple[list[tuple[str, str]], float]:
    """`count` finished turns (session id, task id) and the server's CPU ms per turn."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        chats = []
        for _ in range(count):
            created = await client.post("/chat")
            chats.append(created.headers["location"].rsplit("/", 1)[1])
        before = cpu_seconds(pid)
        slots = asyncio.Semaphore(8)

        async def turn(session_id: str) -> tuple[str, str]:
            async with slots:
                sent = await client.post(
                    f"/chat/{session_id}/messages",
                    data={"message": "How do I reset my password?"},
                    headers={"HX-Request": "true"},
                )
            trigger = json.loads(sent.headers["HX-Trigger"])
            return session_id, str(trigger["feedback-widget:sent"]["taskId"])

        started = await asyncio.gather(*(turn(chat) for chat in chats))
        # Polled: the last turn only (a poll per turn would cost more than what is measured);
        # then the rest are checked, outside the measurement.
        await until_completed(client, chats[-1])
        cpu_ms = (cpu_seconds(pid) - before) * 1000 / count
        for chat in chats:
            await until_completed(client, chat)
        return list(started), cpu_ms


async def until_completed(client: httpx.AsyncClient, session_id: str) -> None:
    for _ in range(2000):
        listed = await client.get(f"/api/v1/sessions/{session_id}/tasks")
        if listed.json()[0]["status"] == "completed":
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"the turn of {session_id} did not complete")


async def exported(phoenix: PhoenixServer | None, project: str, count: int) -> None:
    """Feedback comes seconds after a turn, when its span is in Phoenix: so here too."""
    deadline = time.monotonic() + 120
    while phoenix is not None and len(await asyncio.to_thread(phoenix.spans, project)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("the spans did not reach Phoenix")
        await asyncio.sleep(0.5)


async def feedback(base: str, port: int, pid: int, done: list[tuple[str, str]]) -> dict[str, Any]:
    before = cpu_seconds(pid)
    phase = await run_phase(
        "POST feedback",
        port,
        lambda i: json_post(
            "/api/v1/feedback",
            {"taskId": done[i][1], "sessionId": done[i][0], "feedbackType": "down"},
        ),
        concurrency=CONCURRENCY,
        total=len(done),
    )
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        deadline = time.monotonic() + 300
        while (await client.get("/api/v1/health")).json()["outbox"].get("pending", 0):
            if time.monotonic() > deadline:
                raise RuntimeError("the outbox did not drain")
            await asyncio.sleep(0.2)
    summary = phase.summary()
    return {
        "req_per_s": summary["rate"],
        "p50_ms": summary["p50_ms"],
        "p99_ms": summary["p99_ms"],
        "statuses": summary["statuses"],
        "cpu_ms_per_feedback": round((cpu_seconds(pid) - before) * 1000 / len(done), 2),
    }


def run(
    folder: Path, name: str, count: int, phoenix: PhoenixServer | None, annotate: bool
) -> dict[str, Any]:
    options: dict[str, Any] = {"rate_limits": LIMITS}
    if phoenix is not None:
        options["observability"] = {
            "otlp": {"endpoint": phoenix.traces_url, "service_name": name},
            "phoenix": {"url": phoenix.url if annotate else None},
        }
    db = folder / f"{name}.db"
    config = write_config(
        folder / f"{name}.yaml", config_dict(database_url=f"sqlite:///{db}", **options)
    )
    migrate = [sys.executable, "-m", "app", "migrate", "--config", str(config)]
    subprocess.run(migrate, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    command = [sys.executable, "-m", "app", "serve", "--config", str(config), "--port", str(port)]
    command += ["--log-level", "warning"]
    base = f"http://127.0.0.1:{port}"
    with server(command, port, folder / f"{name}.log", pinned=True) as process:
        done, turn_cpu = asyncio.run(turns(base, process.pid, count))
        asyncio.run(exported(phoenix, name, count))
        posted = asyncio.run(feedback(base, port, process.pid, done))
    return {"cpu_ms_per_turn": round(turn_cpu, 2), "feedback": posted}


def span_cost(phoenix: PhoenixServer, count: int) -> float:
    """CPU µs per turn span, exported (the provider's shutdown flushes the last batch)."""
    tracing = start_tracing(OtlpSettings(endpoint=phoenix.traces_url, service_name="spans"))
    assert tracing is not None
    spans = TurnSpans(tracing.tracer, agent_name="Echo agent", agent_type="echo")
    started = time.process_time()
    for number in range(count):
        span = spans.start(session_id=f"s{number}", task_id=f"t{number}", model="echo-1")
        end_turn_span(span, TurnOutcome("completed", response_model="echo-1"))
    asyncio.run(tracing.shutdown())
    return (time.process_time() - started) * 1e6 / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--spans", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        phoenix = PhoenixServer(folder)
        phoenix.start()
        try:
            results = {
                "off": run(folder, "off", args.turns, None, annotate=False),
                "traces": run(folder, "traces", args.turns, phoenix, annotate=False),
                "traces_and_annotations": run(folder, "annotated", args.turns, phoenix, True),
                "cpu_us_per_span": round(span_cost(phoenix, args.spans), 1),
            }
        finally:
            phoenix.stop()
    off, traces = results["off"], results["traces"]
    annotated = results["traces_and_annotations"]
    post_cpu = off["feedback"]["cpu_ms_per_feedback"]
    results["share_of_a_feedback_post"] = {
        "span_alone": round(results["cpu_us_per_span"] / 1000 / post_cpu, 3),
        "span_per_turn": round((traces["cpu_ms_per_turn"] - off["cpu_ms_per_turn"]) / post_cpu, 3),
        "annotation_per_feedback": round(
            (annotated["feedback"]["cpu_ms_per_feedback"] - post_cpu) / post_cpu, 3
        ),
    }
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
