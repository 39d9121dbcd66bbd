"""A review action is a `feedback.reviewed` event through the transactional outbox: staged in
the unit of work that stores the action, for the destinations and with the ordering key of
the feedback's own events, delivered after it; nothing is staged when the action fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.bus import DomainEvent
from app.db.models import OutboxEvent
from app.db.writer import Transaction
from app.feedback.events import FeedbackReviewed
from app.feedback.model import ReviewEntry
from app.feedback.review import ReviewChange, review
from app.publishing import dispatcher
from app.publishing.payloads import build_payload
from tests.publishing.test_dispatcher import FlakyReceiver
from tests.publishing.test_payloads import feedback
from tests.support import eventually
from tests.support.harness import Harness, HarnessFactory
from tests.support.reviewing import READ_ALL, rated, review_app, send_review

SAM_FIELDS = ["id", "task_id", "session_id", "feedback_type", "feedback_text", "user_id"]


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    webhook = FlakyReceiver("review-webhook-secret", failures=0)
    yield webhook
    webhook.close()


async def publishing_app(make_harness: HarnessFactory, receiver: FlakyReceiver) -> Harness:
    webhook = {"url": receiver.url, "secret": receiver.secret}
    publishing = {
        "enabled": True,
        "include_task_info": "summary",
        "retry_max_seconds": 0.3,
        "webhooks": [webhook],
    }
    return await review_app(make_harness, feedback_publishing=publishing)


async def outbox_rows(harness: Harness) -> list[Any]:
    return await harness.rows(select(OutboxEvent).order_by(OutboxEvent.seq))


async def test_a_review_is_published_after_its_feedback(
    make_harness: HarnessFactory, receiver: FlakyReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The dispatcher would look again only after a minute: the review itself wakes it.
    monkeypatch.setattr(dispatcher, "IDLE_POLL_SECONDS", 60)
    harness = await publishing_app(make_harness, receiver)
    given = await rated(harness, "down", comment="Wrong menu.")
    await eventually(lambda: len(receiver.accepted) == 1, within=5, what="the feedback")
    answer = await send_review(
        harness.client,
        given["id"],
        version=0,
        status="reviewed",
        labels=["outdated"],
        correction="Open Settings → Security.",
        note="Moved in v2.",
    )
    assert answer.status_code == 200, answer.text
    await eventually(lambda: len(receiver.accepted) == 2, within=5, what="the review")

    submitted, reviewed = receiver.accepted  # in commit order, one session's events
    assert (submitted["event"], reviewed["event"]) == ("feedback.submitted", "feedback.reviewed")
    assert "review" not in submitted
    (entry,) = answer.json()["history"]
    assert reviewed["review"] == entry
    assert set(entry) == {"status", "labels", "correction", "note", "version", "by", "time"}
    part = reviewed["feedback"]
    assert {name: part[name] for name in SAM_FIELDS} == {
        name: submitted["feedback"][name] for name in SAM_FIELDS
    }
    assert (part["review_status"], part["review_labels"], part["correction"]) == (
        "reviewed", ["outdated"], "Open Settings → Security.",
    )  # fmt: skip
    assert submitted["feedback"]["review_status"] == "open"
    assert reviewed["task_summary"]["id"] == given["task_id"]

    rows = await outbox_rows(harness)
    assert [json.loads(row.payload)["event"] for row in rows] == [
        "feedback.submitted", "feedback.reviewed",
    ]  # fmt: skip
    # The same destination and ordering key as the feedback's own event.
    assert {(row.destination, row.session_id, row.feedback_id) for row in rows} == {
        ("webhook:0", given["session_id"], given["id"])
    }


async def test_a_refused_review_stages_nothing(
    make_harness: HarnessFactory, receiver: FlakyReceiver
) -> None:
    harness = await publishing_app(make_harness, receiver)
    given = await rated(harness, "down")
    first = await send_review(harness.client, given["id"], version=0, status="reviewed")
    assert first.status_code == 200
    staged = len(await outbox_rows(harness))
    for body, status in (
        ({"version": 0, "status": "dismissed"}, 409),  # stale
        ({"version": 1, "labels": ["nope"]}, 422),
        ({"version": 1, "correction": "c" * 20_001}, 422),
    ):
        refused = await send_review(harness.client, given["id"], **body)
        assert refused.status_code == status, refused.text
    assert len(await outbox_rows(harness)) == staged == 2


async def test_the_event_is_staged_in_the_unit_that_stores_the_review(
    make_harness: HarnessFactory, receiver: FlakyReceiver
) -> None:
    """A stager after the outbox's that fails takes the review and its outbox row with it:
    they are one unit of work."""
    harness = await publishing_app(make_harness, receiver)
    given = await rated(harness, "down")
    before = await outbox_rows(harness)

    def fail_on_review(tx: Transaction, event: DomainEvent) -> None:
        if isinstance(event, FeedbackReviewed):
            staged = tx.conn.execute(select(OutboxEvent.payload)).scalars().all()
            assert any(json.loads(p)["event"] == "feedback.reviewed" for p in staged)
            raise RuntimeError("the unit fails after staging")

    harness.services.writer.add_stager(fail_on_review)
    change = ReviewChange(feedback_id=given["id"], expected_version=0, by="t", status="reviewed")
    settings = harness.services.config.review
    with pytest.raises(RuntimeError, match="after staging"):
        await harness.services.writer.run(lambda tx: review(tx, change, settings))
    assert len(await outbox_rows(harness)) == len(before)
    assert not any(isinstance(event, FeedbackReviewed) for event in harness.events)
    listed = await harness.client.get("/api/v1/feedback", headers=READ_ALL)
    assert listed.json()[0]["review_version"] == 0


def test_the_reviewed_payload_names_its_event_and_carries_the_action() -> None:
    entry = ReviewEntry(
        version=3, status="dismissed", labels=("tone",), correction=None, note="fine", by="rita",
        time=9,
    )  # fmt: skip
    for mode in ("none", "summary", "stim"):
        payload = json.loads(
            build_payload(
                event_id="e2",
                mode=mode,
                max_bytes=9_000_000,
                feedback=feedback(),
                task=None,
                events=[],
                review=entry,
            )
        )
        assert list(payload) == ["event_id", "event", "feedback", "review"]
        assert payload["event"] == "feedback.reviewed"
        assert payload["review"] == {
            "version": 3, "status": "dismissed", "labels": ["tone"], "correction": None,
            "note": "fine", "by": "rita", "time": 9,
        }  # fmt: skip
