"""GET /metrics: off it does not exist; on it wants an API key with `metrics:read`; and its
figures move by exactly what the test sent, read with prometheus-client's own parser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)

from app.metrics.families import TURN_OUTCOMES
from tests.support import eventually, free_port
from tests.support.agent_turns import finished, first_text, new_chat, send, stop
from tests.support.harness import Harness, HarnessFactory
from tests.support.metrics import (
    METRICS_KEY,
    PLATFORM_KEY,
    SCRAPER,
    metrics_config,
    moved,
    scrape,
    value,
)
from tests.support.webhooks import WebhookReceiver, webhook_receiver

NOT_FOUND = {"detail": "The requested resource was not found.", "code": "not_found"}


async def test_off_by_default_it_answers_like_an_unknown_url(harness: Harness) -> None:
    answer = await harness.client.get(
        "/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"}
    )
    posted = await harness.client.post("/metrics")
    unknown = await harness.client.get("/api/v1/no-such-thing")

    assert answer.status_code == posted.status_code == unknown.status_code == 404
    assert answer.json() == posted.json() == unknown.json() == NOT_FOUND


async def test_only_a_key_with_the_metrics_scope_reads_it(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**metrics_config())
    client = harness.client

    nobody = await client.get("/metrics")
    unknown_key = await client.get("/metrics", headers={"Authorization": "Bearer not-a-key-at-all"})
    other_scope = await client.get("/metrics", headers={"Authorization": f"Bearer {PLATFORM_KEY}"})
    in_the_url = await client.get("/metrics", params={"token": METRICS_KEY})

    assert nobody.status_code == 401
    assert nobody.json()["code"] == "unauthenticated"
    assert "metrics:read" in nobody.json()["detail"]
    assert nobody.headers["www-authenticate"] == "Bearer"
    assert unknown_key.status_code == 401
    assert set(unknown_key.json()) == {"detail", "code"}
    assert other_scope.status_code == 403
    assert other_scope.json() == {
        "detail": "This credential lacks the 'metrics:read' scope this needs.",
        "code": "missing_scope",
    }
    assert in_the_url.status_code == 400
    posted = await client.post("/metrics", headers={"Authorization": f"Bearer {METRICS_KEY}"})
    assert posted.status_code == 405
    assert posted.json()["code"] == "method_not_allowed"
    assert (await scrape(client)) != {}


async def test_prometheus_asking_for_openmetrics_gets_it(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**metrics_config())
    accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3"

    answer = await harness.client.get("/metrics", headers={**SCRAPER, "Accept": accept})

    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    families = {family.name for family in openmetrics_families(answer.text)}
    assert {"feedback_widget_agent_turns", "feedback_widget_outbox_backlog"} <= families


async def test_requests_and_feedback_move_the_figures_by_what_was_sent(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(**metrics_config())
    client = harness.client
    before = await scrape(client)

    session_id = await harness.new_session()
    tasks = [await harness.completed_task(session_id, f"q{n}") for n in range(3)]
    for task_id, rating in zip(tasks, ("up", "up", "down"), strict=True):
        body = {"taskId": task_id, "sessionId": session_id, "feedbackType": rating}
        assert (await client.post("/api/v1/feedback", json=body)).status_code == 202
    # A second feedback on a task is refused: it counts as a request, not as feedback.
    again = {"taskId": tasks[0], "sessionId": session_id, "feedbackType": "down"}
    assert (await client.post("/api/v1/feedback", json=again)).status_code == 409
    assert (await client.get("/api/v1/sessions/nope/tasks")).status_code == 404
    assert (await client.get("/api/v1/no-such-thing")).status_code == 404
    assert (await client.request("BREW", "/api/v1/health")).status_code == 405
    after = await scrape(client)

    def requests(route: str, method: str, status: str) -> float:
        labels = {"route": route, "method": method, "status": status}
        return moved(before, after, "feedback_widget_http_requests_total", **labels)

    assert requests("/api/v1/feedback", "POST", "202") == 3
    assert requests("/api/v1/feedback", "POST", "409") == 1
    assert requests("/api/v1/sessions", "POST", "201") == 1
    assert requests("/api/v1/sessions/{session_id}/tasks", "POST", "201") == 3
    assert requests("/api/v1/sessions/{session_id}/tasks", "GET", "404") == 1
    assert requests("/api/v1/{path}", "GET", "404") == 1
    assert requests("/api/v1/health", "other", "405") == 1
    assert requests("/metrics", "GET", "200") == 1  # the first scrape; a scrape counts after
    timed = {"route": "/api/v1/feedback", "method": "POST"}
    assert moved(before, after, "feedback_widget_http_request_duration_seconds_count", **timed) == 4
    assert moved(before, after, "feedback_widget_http_request_duration_seconds_sum", **timed) > 0

    def stored(rating: str) -> float:
        labels = {"door": "api", "rating": rating, "source": "customer"}
        return moved(before, after, "feedback_widget_feedback_stored_total", **labels)

    assert (stored("up"), stored("down")) == (2, 1)
    # Every write went through the writer, in groups; none is waiting now.
    units = moved(before, after, "feedback_widget_writer_group_size_sum")
    assert units >= moved(before, after, "feedback_widget_writer_group_size_count") >= 7
    assert value(after, "feedback_widget_writer_queue_depth") == 0
    assert value(after, "feedback_widget_live_streams_open") == 0


async def test_agent_turns_count_by_outcome_with_their_times(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**metrics_config())
    before = await scrape(harness.client)

    session_id = await new_chat(harness)
    answered = await send(harness, session_id, "Hello there")
    refused = await send(harness, session_id, "/fail please")
    assert (await finished(harness, answered)).status == "completed"
    assert (await finished(harness, refused)).status == "failed"
    after = await scrape(harness.client)

    for outcome, count in (("completed", 1), ("failed", 1), ("cancelled", 0)):
        labels = {"outcome": outcome}
        assert moved(before, after, "feedback_widget_agent_turns_total", **labels) == count
        seconds = "feedback_widget_agent_turn_duration_seconds_count"
        assert moved(before, after, seconds, **labels) == count
    # Only the answered turn ever sent text.
    assert moved(before, after, "feedback_widget_agent_time_to_first_token_seconds_count") == 1


async def test_stopped_and_interrupted_turns_count_once(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**metrics_config(), stream_seconds=30)
    before = await scrape(harness.client)

    session_id = await new_chat(harness)
    stopped = await send(harness, session_id, "Tell me a long story")
    await first_text(harness, stopped)
    await stop(harness, session_id, stopped)
    assert (await finished(harness, stopped)).status == "cancelled"
    # The server stopping ends a running turn, and then finishes every job it had again.
    interrupted = await send(harness, session_id, "And another one")
    await first_text(harness, interrupted)
    await harness.services.runner.shutdown()
    assert (await finished(harness, interrupted)).status == "failed"
    after = await scrape(harness.client)

    turns = "feedback_widget_agent_turns_total"
    assert [moved(before, after, turns, outcome=o) for o in TURN_OUTCOMES] == [0, 1, 1]
    assert moved(before, after, "feedback_widget_agent_time_to_first_token_seconds_count") == 2


@pytest.fixture
def flaky_webhook() -> Iterator[WebhookReceiver]:
    with webhook_receiver(failures=2) as receiver:
        yield receiver


def webhook(url: str) -> dict[str, object]:
    hook = {"url": url, "secret": "s3cret-webhook-key"}
    return {"feedback_publishing": {"enabled": True, "retry_max_seconds": 0.3, "webhooks": [hook]}}


async def give_feedback(harness: Harness, count: int) -> None:
    session_id = await harness.new_session()
    for n in range(count):
        task_id = await harness.completed_task(session_id, f"q{n}")
        body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
        assert (await harness.client.post("/api/v1/feedback", json=body)).status_code == 202


async def test_deliveries_and_failures_count_by_target(
    make_harness: HarnessFactory, flaky_webhook: WebhookReceiver
) -> None:
    harness = await make_harness(**metrics_config(**webhook(flaky_webhook.url)))
    before = await scrape(harness.client)

    await give_feedback(harness, 3)
    await eventually(lambda: len(flaky_webhook.messages) == 3, what="three deliveries")
    target = {"target": "webhook:0"}
    after = before

    async def settled() -> bool:
        # The dispatcher counts once the receiver has answered, and settles the outbox after.
        nonlocal after
        after = await scrape(harness.client)
        delivered = moved(before, after, "feedback_widget_outbox_deliveries_total", **target)
        return delivered == 3 and value(after, "feedback_widget_outbox_backlog", **target) == 0

    await eventually(settled, what="the deliveries to be counted and settled")
    assert moved(before, after, "feedback_widget_outbox_failures_total", **target) == 2
    assert flaky_webhook.calls == [500, 500, 200, 200, 200]


async def test_the_backlog_is_what_waits_in_the_outbox(make_harness: HarnessFactory) -> None:
    nobody_listens = f"http://127.0.0.1:{free_port()}/hooks"
    harness = await make_harness(**metrics_config(**webhook(nobody_listens)))

    await give_feedback(harness, 4)

    async def failed_once() -> bool:
        samples = await scrape(harness.client)
        return value(samples, "feedback_widget_outbox_failures_total", target="webhook:0") >= 1

    await eventually(failed_once, what="a failed delivery")
    samples = await scrape(harness.client)
    target = {"target": "webhook:0"}
    assert value(samples, "feedback_widget_outbox_backlog", **target) == 4
    assert value(samples, "feedback_widget_outbox_oldest_pending_seconds", **target) > 0
    assert value(samples, "feedback_widget_outbox_deliveries_total", **target) == 0


async def test_on_postgresql_units_run_side_by_side_and_none_is_left_counted(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = await make_harness(database_url=postgres_url, **metrics_config())
    before = await scrape(harness.client)

    await give_feedback(harness, 2)
    after = await scrape(harness.client)

    stored = {"door": "api", "rating": "up", "source": "customer"}
    assert moved(before, after, "feedback_widget_feedback_stored_total", **stored) == 2
    # Each unit is its own transaction there: no group commits, nothing still in flight.
    assert moved(before, after, "feedback_widget_writer_group_size_count") == 0
    assert value(after, "feedback_widget_writer_queue_depth") == 0
