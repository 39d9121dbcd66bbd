"""Feedback events on a real MQTT broker and webhooks, through the transactional outbox."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.db.models import OutboxEvent
from tests.support import QUIET_SECONDS, config_dict, eventually, running_server, write_config
from tests.support.harness import Harness, HarnessFactory
from tests.support.mqtt import Broker, subscribed

TOPIC = "sam/feedback/v1"


def publishing(broker: Broker | None = None, **options: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"enabled": True, "retry_max_seconds": 0.3, **options}
    if broker is not None:
        config["broker"] = {"url": broker.url, "qos": 1}
    return {"feedback_publishing": config}


async def run_task(harness: Harness, session_id: str, task_id: str) -> None:
    client = harness.client
    await client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"id": task_id, "request_text": "Help me analyze this data", "model": "m-1",
              "prompt_version": "v7"},
    )  # fmt: skip
    await client.post(
        f"/api/v1/tasks/{task_id}/events",
        json={"direction": "request", "topic": "ns/agent/request", "payload": {"message": "go"}},
    )
    await client.post(
        f"/api/v1/tasks/{task_id}/events",
        json={"direction": "response", "topic": "ns/agent/response", "payload": {"result": "ok"}},
    )
    await client.patch(
        f"/api/v1/tasks/{task_id}", json={"response_text": "Done.", "status": "completed"}
    )


async def give_feedback(
    harness: Harness, session_id: str, task_id: str, text: str = "Great!"
) -> str:
    response = await harness.client.post(
        "/api/v1/feedback",
        json={
            "taskId": task_id,
            "sessionId": session_id,
            "feedbackType": "up",
            "feedbackText": text,
        },
    )
    assert response.status_code == 202, response.text
    feedback_id: str = response.json()["id"]
    return feedback_id


async def one_event(
    harness: Harness, broker: Broker, topic: str = TOPIC
) -> tuple[dict[str, Any], str]:
    async with subscribed(broker, topic) as subscriber:
        session_id = await harness.new_session(id="web-session-xyz")
        await run_task(harness, session_id, "task-abc123")
        feedback_id = await give_feedback(harness, session_id, "task-abc123")
        (message,) = await subscriber.wait_for(1)
    assert message.event_id == message.payload["event_id"]
    return message.payload, feedback_id


def expected_feedback(payload: dict[str, Any], feedback_id: str) -> dict[str, Any]:
    return {
        "id": feedback_id,
        "task_id": "task-abc123",
        "session_id": "web-session-xyz",
        "feedback_type": "up",
        "feedback_text": "Great!",
        "user_id": "dev_user",
        "created_time": payload["feedback"]["created_time"],
        "key": "thumbs",
        "score": 1.0,
        "label": None,
        "weight": 1.0,
        "source": "customer",
        "via": "api",
        "target_kind": "task",
        "reasons": [],
        "review_status": "open",
        "review_labels": [],
        "correction": None,
    }


def expected_summary(payload: dict[str, Any], key: str = "task_summary") -> dict[str, Any]:
    task = payload[key]
    return {
        "id": "task-abc123",
        "user_id": "dev_user",
        "session_id": "web-session-xyz",
        "agent_id": None,
        "status": "completed",
        "start_time": task["start_time"],
        "end_time": task["end_time"],
        "initial_request_text": "Help me analyze this data",
        "model": "m-1",
        "prompt_version": "v7",
    }


async def test_mode_none_payload(make_harness: HarnessFactory, broker: Broker) -> None:
    harness = await make_harness(**publishing(broker, include_task_info="none"))
    payload, feedback_id = await one_event(harness, broker)
    assert payload == {
        "event_id": payload["event_id"],
        "event": "feedback.submitted",
        "feedback": expected_feedback(payload, feedback_id),
    }


async def test_mode_summary_payload(make_harness: HarnessFactory, broker: Broker) -> None:
    harness = await make_harness(**publishing(broker, include_task_info="summary"))
    payload, feedback_id = await one_event(harness, broker)
    assert payload == {
        "event_id": payload["event_id"],
        "event": "feedback.submitted",
        "feedback": expected_feedback(payload, feedback_id),
        "task_summary": expected_summary(payload),
    }
    assert payload["task_summary"]["end_time"] >= payload["task_summary"]["start_time"] > 0


async def test_mode_stim_payload(make_harness: HarnessFactory, broker: Broker) -> None:
    harness = await make_harness(**publishing(broker, include_task_info="stim"))
    payload, feedback_id = await one_event(harness, broker)
    stim = payload["task_stim_data"]
    flow = stim["invocation_flow"]
    assert payload == {
        "event_id": payload["event_id"],
        "event": "feedback.submitted",
        "feedback": expected_feedback(payload, feedback_id),
        "task_stim_data": {
            "invocation_details": {
                "log_file_version": "2.0",
                "task_id": "task-abc123",
                "user_id": "dev_user",
                "start_time": stim["invocation_details"]["start_time"],
                "end_time": stim["invocation_details"]["end_time"],
                "status": "completed",
                "initial_request_text": "Help me analyze this data",
            },
            "invocation_flow": [
                {"id": flow[0]["id"], "created_time": flow[0]["created_time"],
                 "topic": "ns/agent/request", "direction": "request",
                 "payload": {"message": "go"}},
                {"id": flow[1]["id"], "created_time": flow[1]["created_time"],
                 "topic": "ns/agent/response", "direction": "response",
                 "payload": {"result": "ok"}},
            ],
        },
    }  # fmt: skip
    assert flow[0]["created_time"] <= flow[1]["created_time"]


async def test_stim_over_the_size_limit_falls_back_to_summary(
    make_harness: HarnessFactory, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    harness = await make_harness(
        **publishing(broker, include_task_info="stim", max_payload_size_bytes=100)
    )
    with caplog.at_level(logging.INFO, logger="app.publishing.payloads"):
        payload, _ = await one_event(harness, broker)
    assert "task_stim_data" not in payload
    assert payload["task_summary"] == expected_summary(payload)
    assert payload["truncation_details"] == {
        "strategy": "fallback_to_summary",
        "reason": "payload_too_large",
    }
    assert any("over the 100-byte limit" in r.getMessage() for r in caplog.records)


async def test_custom_topic_with_substitution(make_harness: HarnessFactory, broker: Broker) -> None:
    harness = await make_harness(
        env={"NAMESPACE": "acme/prod"},
        **publishing(broker, topic="${NAMESPACE}/sam/feedback/v1"),
    )
    async with subscribed(broker, "#") as subscriber:
        session_id = await harness.new_session()
        task_id = await harness.completed_task(session_id)
        await give_feedback(harness, session_id, task_id)
        (message,) = await subscriber.wait_for(1)
    assert message.topic == "acme/prod/sam/feedback/v1"


async def test_disabled_publishing_sends_nothing_but_keeps_the_row(
    make_harness: HarnessFactory, broker: Broker
) -> None:
    harness = await make_harness()
    async with subscribed(broker, "#") as subscriber:
        session_id = await harness.new_session()
        task_id = await harness.completed_task(session_id)
        await give_feedback(harness, session_id, task_id)
        await asyncio.sleep(QUIET_SECONDS)
    assert subscriber.messages == []
    assert len((await harness.client.get("/api/v1/feedback")).json()) == 1
    assert await harness.rows(select(func.count()).select_from(OutboxEvent)) == [(0,)]


async def test_event_row_commits_with_the_feedback_and_never_without(
    make_harness: HarnessFactory, broker: Broker
) -> None:
    harness = await make_harness(**publishing(broker))
    broker.stop()  # keep rows pending so they can be counted
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    await give_feedback(harness, session_id, task_id)
    refused = await harness.client.post(
        "/api/v1/feedback", json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
    )
    assert refused.status_code == 409
    rows = await harness.rows(select(OutboxEvent))
    assert len(rows) == 1 and rows[0].delivered_time is None


async def submit_many(
    client: httpx.AsyncClient, sessions: int, per_session: int
) -> dict[str, list[str]]:
    """Submit feedback on `sessions` x `per_session` tasks; every answer 202 and fast."""
    order: dict[str, list[str]] = {}
    slowest = 0.0
    for _ in range(sessions):
        session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
        order[session_id] = []
        for number in range(per_session):
            task = await client.post(
                f"/api/v1/sessions/{session_id}/tasks",
                json={"request_text": f"q{number}", "status": "completed", "response_text": "a"},
            )
            task_id = task.json()["id"]
            started = time.perf_counter()
            answer = await client.post(
                "/api/v1/feedback",
                json={"taskId": task_id, "sessionId": session_id, "feedbackType": "down"},
            )
            slowest = max(slowest, time.perf_counter() - started)
            assert answer.status_code == 202
            order[session_id].append(task_id)
    assert slowest < 0.5, f"a submission took {slowest:.3f}s while the broker was down"
    return order


def assert_all_once_in_order(messages: list[Any], order: dict[str, list[str]]) -> None:
    ids = [m.payload["event_id"] for m in messages]
    assert len(ids) == len(set(ids)) == sum(len(tasks) for tasks in order.values())
    for session_id, tasks in order.items():
        seen = [
            m.payload["feedback"]["task_id"]
            for m in messages
            if m.payload["feedback"]["session_id"] == session_id
        ]
        assert seen == tasks


async def test_broker_outage_loses_nothing(make_harness: HarnessFactory, broker: Broker) -> None:
    harness = await make_harness(**publishing(broker))
    async with subscribed(broker, TOPIC) as subscriber:
        broker.stop()
        order = await submit_many(harness.client, sessions=4, per_session=5)
        health = (await harness.client.get("/api/v1/health")).json()["outbox"]
        assert health["pending"] == 20
        broker.start()
        messages = await subscriber.wait_for(20)
        await asyncio.sleep(QUIET_SECONDS)  # any duplicate would arrive now
    assert_all_once_in_order(subscriber.messages, order)
    assert messages
    health = (await harness.client.get("/api/v1/health")).json()["outbox"]
    assert (health["pending"], health["last_error"]) == (0, None)


async def test_broker_outage_across_a_server_restart(tmp_path: Path, broker: Broker) -> None:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    config = write_config(tmp_path / "c.yaml", config_dict(database_url=url, **publishing(broker)))
    async with subscribed(broker, TOPIC) as subscriber:
        broker.stop()
        with running_server(config) as base:
            async with httpx.AsyncClient(base_url=base) as client:
                order = await submit_many(client, sessions=2, per_session=10)
        with running_server(config, migrate=False):
            broker.start()
            await subscriber.wait_for(20)
            await asyncio.sleep(QUIET_SECONDS)
    assert_all_once_in_order(subscriber.messages, order)


async def test_stale_events_are_reported_in_health_and_logs(
    make_harness: HarnessFactory, broker: Broker, caplog: pytest.LogCaptureFixture
) -> None:
    harness = await make_harness(**publishing(broker, warn_pending_seconds=0.2))
    broker.stop()
    session_id = await harness.new_session()
    await give_feedback(harness, session_id, await harness.completed_task(session_id))
    with caplog.at_level(logging.WARNING, logger="feedback_widget.publishing"):
        await eventually(
            lambda: any("undelivered" in r.getMessage() for r in caplog.records),
            what="the stale-event warning",
        )
    assert any("1 feedback event(s) undelivered" in r.getMessage() for r in caplog.records)
    outbox = (await harness.client.get("/api/v1/health")).json()["outbox"]
    assert outbox["pending"] == 1
    assert outbox["oldest_pending_age_seconds"] >= 0.2
    assert "cannot connect to MQTT broker" in outbox["last_error"]


class FlakyReceiver:
    """Answers 500 to the first `failures` deliveries, then 200; checks every signature."""

    def __init__(self, secret: str, failures: int) -> None:
        self.secret, self.failures = secret, failures
        self.calls: list[int] = []
        self.accepted: list[dict[str, Any]] = []
        self.bad_signatures = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers["X-Feedback-Widget-Timestamp"]
                expected = (
                    "sha256="
                    + hmac.new(
                        outer.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                    ).hexdigest()
                )
                if not hmac.compare_digest(expected, self.headers["X-Feedback-Widget-Signature"]):
                    outer.bad_signatures += 1
                status = 500 if len(outer.calls) < outer.failures else 200
                outer.calls.append(status)
                if status == 200:
                    payload = json.loads(body)
                    assert payload["event_id"] == self.headers["X-Feedback-Widget-Event-Id"]
                    outer.accepted.append(payload)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/feedback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    flaky = FlakyReceiver("s3cret-webhook-key", failures=3)
    yield flaky
    flaky.close()


async def test_webhook_retries_until_accepted_exactly_once(
    make_harness: HarnessFactory, receiver: FlakyReceiver
) -> None:
    harness = await make_harness(
        **publishing(None, webhooks=[{"url": receiver.url, "secret": receiver.secret}])
    )
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    feedback_id = await give_feedback(harness, session_id, task_id)
    await eventually(lambda: bool(receiver.accepted), what="the webhook to accept")
    await asyncio.sleep(QUIET_SECONDS)  # no further call may follow
    assert receiver.calls == [500, 500, 500, 200]
    assert receiver.bad_signatures == 0
    assert [p["feedback"]["id"] for p in receiver.accepted] == [feedback_id]


@pytest.mark.postgres
async def test_two_dispatchers_on_one_postgres_deliver_each_event_once(
    make_harness: HarnessFactory, broker: Broker, postgres_url: str
) -> None:
    first = await make_harness(database_url=postgres_url, **publishing(broker))
    second = await make_harness(database_url=postgres_url, **publishing(broker))
    async with subscribed(broker, TOPIC) as subscriber:
        order: dict[str, list[str]] = {}
        for harness in (first, second, first):
            order.update(await submit_many(harness.client, sessions=2, per_session=5))
        await subscriber.wait_for(30)
        await asyncio.sleep(QUIET_SECONDS)
    assert_all_once_in_order(subscriber.messages, order)


async def test_a_slow_pass_hands_back_what_it_could_not_send(
    make_harness: HarnessFactory, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.publishing import dispatcher as dispatcher_module

    harness = await make_harness(**publishing(broker))
    assert harness.services.publishing is not None
    dispatcher = harness.services.publishing.dispatcher
    await dispatcher.stop()  # drive passes by hand
    monkeypatch.setattr(dispatcher_module, "PASS_BUDGET_SECONDS", 0.0)
    sessions = [await harness.new_session() for _ in range(3)]
    for session_id in sessions:
        await give_feedback(harness, session_id, await harness.completed_task(session_id))

    async with subscribed(broker, TOPIC) as subscriber:
        assert await dispatcher.deliver_due() == 3  # claimed 3, budget spent after the first
        await subscriber.wait_for(1)
        rows = await harness.rows(select(OutboxEvent).order_by(OutboxEvent.seq))
        assert [row.delivered_time is not None for row in rows] == [True, False, False]
        assert all(row.claimed_until is None and row.attempts == 0 for row in rows[1:])
        monkeypatch.setattr(dispatcher_module, "PASS_BUDGET_SECONDS", 10.0)
        assert await dispatcher.deliver_due() == 2
        await subscriber.wait_for(3)
