"""Latency of the hot paths against a real server: `make bench`.

Starts `feedback-widget serve` on a fresh SQLite file (or BENCH_DATABASE_URL), then times,
one request at a time so the figures are latencies rather than throughput:
feedback submission, the chat page with 20 turns, and the feedback listing.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dialects import PORTKEY_KEY, TRODO_SITE
from tests.support import config_dict, running_server, write_config

ROUNDS = 300


def timed(label: str, call: Callable[[int], httpx.Response], expected: int) -> None:
    samples = []
    for number in range(ROUNDS):
        start = time.perf_counter()
        response = call(number)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == expected, response.text
    samples.sort()
    p50 = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95)]
    print(f"{label:<40} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   (n={ROUNDS})")


def main() -> None:
    print("publishing off:")
    measure({})
    # The machine's broker (or BENCH_BROKER_URL): what the outbox adds to a submission.
    broker = os.environ.get("BENCH_BROKER_URL", "mqtt://127.0.0.1:1883")
    print(f"publishing on (summary, MQTT at {broker}):")
    measure(
        {
            "feedback_publishing": {
                "enabled": True,
                "include_task_info": "summary",
                "broker": {"url": broker},
            }
        },
        only_feedback=True,
    )


def measure(options: dict[str, object], only_feedback: bool = False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        compat = {"trodo": {"site_ids": [TRODO_SITE]}, "portkey": {"api_keys": [PORTKEY_KEY]}}
        config = write_config(
            Path(folder) / "bench.yaml", config_dict(database_url=url, compat=compat, **options)
        )
        with running_server(config) as base, httpx.Client(base_url=base) as client:
            session_id = client.post("/api/v1/sessions", json={}).json()["id"]
            tasks = []
            for number in range(ROUNDS):
                answer = client.post(
                    f"/api/v1/sessions/{session_id}/tasks",
                    json={
                        "request_text": f"question {number}",
                        "status": "completed",
                        "response_text": "A **Markdown** answer with a [link](https://example.com).",
                    },
                )
                tasks.append(answer.json()["id"])
            page_session = client.post("/api/v1/sessions", json={}).json()["id"]
            for number in range(20):
                client.post(
                    f"/api/v1/sessions/{page_session}/tasks",
                    json={
                        "request_text": f"q{number}",
                        "status": "completed",
                        "response_text": "ok",
                    },
                )

            timed(
                "POST /api/v1/feedback",
                lambda n: client.post(
                    "/api/v1/feedback",
                    json={"taskId": tasks[n], "sessionId": session_id, "feedbackType": "up"},
                ),
                202,
            )
            if only_feedback:
                return
            timed("GET /chat/{id} (20 turns)", lambda n: client.get(f"/chat/{page_session}"), 200)
            timed(
                "POST /compat/portkey/v1/feedback",
                lambda n: client.post(
                    "/compat/portkey/v1/feedback",
                    json={"trace_id": tasks[0], "value": n % 10, "weight": 0.5},
                    headers={"x-portkey-api-key": PORTKEY_KEY},
                ),
                200,
            )
            timed(
                "POST /compat/trodo/api/sdk/batch (1 item)",
                lambda n: client.post(
                    "/compat/trodo/api/sdk/batch",
                    json={"items": [{"run_id": tasks[n], "feedback": {"rating": 4}}]},
                    headers={"X-Trodo-Site-Id": TRODO_SITE},
                ),
                200,
            )
            timed(
                "GET /api/v1/feedback?page_size=20",
                lambda n: client.get("/api/v1/feedback", params={"page_size": 20}),
                200,
            )


if __name__ == "__main__":
    main()
