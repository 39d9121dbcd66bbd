"""Alerts end to end: feedback through the API, messages at a real HTTP receiver, state in
the database across a restart and between two instances."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.alerts.events import AlertChanged
from app.alerts.watcher import AlertWatcher
from app.clock import now_ms
from app.config import settings_from_mapping
from app.main import create_app
from tests.support import QUIET_SECONDS, config_dict, eventually
from tests.support.harness import Harness, HarnessFactory
from tests.support.webhooks import WebhookReceiver, webhook_receiver

RULE = "negative-answers"


def alerting(url: str, **rule: Any) -> dict[str, Any]:
    """Options for one rule: fires above half thumbs-down among at least 4 in 15 minutes."""
    alert = {
        "name": RULE,
        "negative_share_above": 0.5,
        "window_minutes": 15,
        "min_feedback": 4,
        "webhook_url": url,
        **rule,
    }
    # Publishing stays off: the outbox runs for the alerts alone. Short retries for the tests.
    return {"alerts": [alert], "feedback_publishing": {"retry_max_seconds": 0.3}}


def watcher(harness: Harness) -> AlertWatcher:
    assert harness.services.alerts is not None
    return harness.services.alerts


async def rate(harness: Harness, rating: str, times: int, **task: Any) -> None:
    """`times` completed turns, each rated `rating` through the JSON API."""
    session_id = await harness.new_session()
    for _ in range(times):
        task_id = await harness.completed_task(session_id, **task)
        response = await harness.client.post(
            "/api/v1/feedback",
            json={"taskId": task_id, "sessionId": session_id, "feedbackType": rating},
        )
        assert response.status_code == 202, response.text


async def received(receiver: WebhookReceiver, states: list[str]) -> None:
    """The receiver got exactly `states`, and nothing more arrives."""
    await eventually(lambda: len(receiver.messages) >= len(states), what=f"messages {states}")
    await asyncio.sleep(QUIET_SECONDS)  # a duplicate would arrive now
    assert receiver.states() == states


async def test_a_burst_fires_once_and_recovery_resolves_once(
    make_harness: HarnessFactory,
) -> None:
    with webhook_receiver() as receiver:
        harness = await make_harness(**alerting(receiver.url))
        await rate(harness, "down", 3)
        assert await watcher(harness).evaluate() == []  # 3 of the 4 it needs: quiet
        await rate(harness, "down", 5)
        await received(receiver, ["firing"])
        await rate(harness, "down", 3)  # still breached: nothing new
        assert await watcher(harness).evaluate() == []
        await rate(harness, "up", 11)
        await received(receiver, ["firing", "resolved"])
    firing, resolved = receiver.messages
    count = firing["count"]
    assert 4 <= count <= 8 and firing["negative"] == count and firing["share"] == 1.0
    assert firing["text"] == (
        f':rotating_light: Alert "{RULE}" firing: 100% thumbs-down ({count} of {count}) '
        "in the last 15 minutes"
    )
    assert {key: firing[key] for key in ("alert", "window_minutes", "threshold", "app")} == {
        "alert": RULE,
        "window_minutes": 15,
        "threshold": 0.5,
        "app": "test_app",
    }
    assert firing["at"].endswith("Z")
    # The 11th thumbs-up brings the share to the threshold: resolved there, not before.
    assert (resolved["count"], resolved["negative"], resolved["share"]) == (22, 11, 0.5)
    assert resolved["text"] == (
        f':white_check_mark: Alert "{RULE}" resolved: 50% thumbs-down (11 of 22) '
        "in the last 15 minutes"
    )
    assert receiver.content_types == ["application/json", "application/json"]


async def test_a_burst_that_ages_out_resolves_without_new_feedback(
    make_harness: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="feedback_widget.alerts")
    with webhook_receiver() as receiver:
        harness = await make_harness(**alerting(receiver.url))
        await rate(harness, "down", 4)
        await received(receiver, ["firing"])
        # The window now ends 16 minutes on: every rating has slid out of it.
        watcher(harness).clock = lambda: now_ms() + 16 * 60_000
        watcher(harness).wake()
        await received(receiver, ["firing", "resolved"])
    resolved = receiver.messages[1]
    assert (resolved["count"], resolved["share"]) == (0, 0.0)
    assert resolved["text"] == (
        f':white_check_mark: Alert "{RULE}" resolved: no rated feedback in the last 15 minutes'
    )
    logged = [(r.levelname, r.getMessage()) for r in caplog.records if r.name.endswith("alerts")]
    assert logged == [
        ("WARNING", f'Alert "{RULE}" firing: 100% thumbs-down (4 of 4) in the last 15 minutes'),
        ("INFO", f'Alert "{RULE}" resolved: no rated feedback in the last 15 minutes'),
    ]


async def test_only_feedback_matching_the_filters_counts(make_harness: HarnessFactory) -> None:
    with webhook_receiver() as receiver:
        harness = await make_harness(
            **alerting(receiver.url, model="m-1", reason="Wrong"),
            feedback_reasons={"down": ["Wrong", "Slow"], "up": ["Wrong"]},
        )
        await rate(harness, "down", 4, model="m-2")  # another model
        await rate(harness, "down", 4, model="m-1")  # no reason given
        assert await watcher(harness).evaluate() == []
        session_id = await harness.new_session()
        for _ in range(4):
            task_id = await harness.completed_task(session_id, model="m-1")
            response = await harness.client.post(
                "/api/v1/feedback",
                json={"taskId": task_id, "sessionId": session_id, "feedbackType": "down",
                      "reasons": ["Wrong"]},
            )  # fmt: skip
            assert response.status_code == 202, response.text
        await received(receiver, ["firing"])
    assert receiver.messages[0]["count"] == 4
    assert receiver.messages[0]["filters"] == {"agent": None, "model": "m-1", "reason": "Wrong"}


@asynccontextmanager
async def serving(**options: Any) -> AsyncIterator[Harness]:
    """An app of the test's own, stopped when the block ends (a restart is two of these)."""
    app = create_app(settings_from_mapping(config_dict(**options), env={}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            yield Harness(app, manager.app, client, app.state.services, [])


async def test_a_restart_sends_no_duplicate(sqlite_url: str) -> None:
    with webhook_receiver() as receiver:
        options = {"database_url": sqlite_url, **alerting(receiver.url)}
        async with serving(**options) as before:
            await rate(before, "down", 5)
            await received(receiver, ["firing"])
        async with serving(**options) as after:
            # Still breached after the restart, and known to be firing: nothing to send.
            assert await watcher(after).evaluate() == []
            await asyncio.sleep(QUIET_SECONDS)
            assert receiver.states() == ["firing"]
            await rate(after, "up", 5)
            await received(receiver, ["firing", "resolved"])


async def test_a_message_waits_in_the_outbox_while_the_receiver_is_down(
    make_harness: HarnessFactory,
) -> None:
    with webhook_receiver(started=False) as receiver:
        harness = await make_harness(**alerting(receiver.url))
        await rate(harness, "down", 4)

        async def failed_once() -> bool:
            health = (await harness.client.get("/api/v1/health")).json()["outbox"]
            return health["pending"] == 1 and health["last_error"] is not None

        await eventually(failed_once, what="a failed delivery")
        health = (await harness.client.get("/api/v1/health")).json()["outbox"]
        assert health["last_error"] == f"alert '{RULE}': webhook unreachable (ConnectError)"
        receiver.start()
        await received(receiver, ["firing"])


def both_judge(*instances: Harness) -> list[Coroutine[Any, Any, list[AlertChanged]]]:
    """Each instance judges three times at once, beside its own background passes."""
    return [watcher(instance).evaluate() for instance in instances * 3]


@pytest.mark.postgres
async def test_two_instances_on_one_postgres_send_each_change_once(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    with webhook_receiver() as receiver:
        options = {"database_url": postgres_url, **alerting(receiver.url)}
        first, second = await make_harness(**options), await make_harness(**options)
        for harness in (first, second, first, second, first):
            await rate(harness, "down", 1)
        changes = await asyncio.gather(*both_judge(first, second))
        assert sum(len(made) for made in changes) <= 1
        await received(receiver, ["firing"])
        for harness in (second, first, second, first, second, first):
            await rate(harness, "up", 1)
        changes = await asyncio.gather(*both_judge(first, second))
        assert sum(len(made) for made in changes) <= 1
        await received(receiver, ["firing", "resolved"])


async def test_alerts_and_feedback_events_share_the_outbox_apart(
    make_harness: HarnessFactory,
) -> None:
    with webhook_receiver() as alerts, webhook_receiver() as events:
        options = alerting(alerts.url)
        options["feedback_publishing"].update(
            enabled=True, webhooks=[{"url": events.url, "secret": "s3cret"}]
        )
        harness = await make_harness(**options)
        await rate(harness, "down", 4)
        await received(alerts, ["firing"])
        await eventually(lambda: len(events.messages) == 4, what="the feedback events")
    assert all("feedback" in message and "state" not in message for message in events.messages)
