"""POST /api/v1/feedback/{id}/review on both databases: a reviewer's action is stored with its
history and read back by the listing; a stale version is a conflict carrying the state
another reviewer left, and changes nothing; what is refused (an unknown label, an unknown
id, a key that may only read, an end-user token) changes nothing either."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.feedback.events import FeedbackReviewed
from tests.support.databases import DATABASES, database_url
from tests.support.harness import Harness, HarnessFactory
from tests.support.reviewing import (
    READ_ALL,
    REVIEWER,
    bearer,
    rated,
    review_app,
    reviewed,
    send_review,
)
from tests.test_errors import assert_error_shape


@pytest.fixture(params=DATABASES)
async def app(
    request: pytest.FixtureRequest, sqlite_url: str, make_harness: HarnessFactory
) -> AsyncIterator[Harness]:
    async with database_url(request.param, sqlite_url) as url:
        yield await review_app(make_harness, database_url=url)


async def stored(harness: Harness, feedback_id: str) -> dict[str, Any]:
    """The feedback as the listing reads it now."""
    listed = await harness.client.get(
        "/api/v1/feedback", params={"page_size": 100}, headers=READ_ALL
    )
    (row,) = [row for row in listed.json() if row["id"] == feedback_id]
    return dict(row)


def reviews(harness: Harness) -> list[FeedbackReviewed]:
    return [event for event in harness.events if isinstance(event, FeedbackReviewed)]


async def test_a_review_is_stored_with_its_history(app: Harness) -> None:
    given = await rated(app, "down", comment="Wrong menu.")
    before = await stored(app, given["id"])
    assert (before["review_status"], before["review_labels"], before["review_version"]) == (
        "open", [], 0,
    )  # fmt: skip

    first = await send_review(
        app.client,
        given["id"],
        version=0,
        status="reviewed",
        labels=["tone", "hallucination"],
        correction="Open **Settings → Security**, then *Reset password*.",
        note="The menu moved in v2.",
    )
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["review_status"] == "reviewed"
    assert answer["review_labels"] == ["hallucination", "tone"]  # the configured order
    assert answer["correction"] == "Open **Settings → Security**, then *Reset password*."
    assert answer["review_note"] == "The menu moved in v2."
    assert (answer["review_version"], answer["reviewed_by"]) == (1, "rita")
    assert isinstance(answer["reviewed_time"], int)
    (entry,) = answer["history"]
    assert entry == {
        "version": 1, "status": "reviewed", "labels": ["hallucination", "tone"],
        "correction": answer["correction"], "note": "The menu moved in v2.", "by": "rita",
        "time": answer["reviewed_time"],
    }  # fmt: skip
    # What the listing shows is what the answer said, history aside.
    assert {**await stored(app, given["id"]), "history": answer["history"]} == answer

    # A second action changes only what it names; "" clears the note.
    second = await send_review(app.client, given["id"], version=1, status="dismissed", note="")
    assert second.status_code == 200, second.text
    now = second.json()
    assert (now["review_status"], now["review_note"], now["review_version"]) == (
        "dismissed", None, 2,
    )  # fmt: skip
    assert now["review_labels"] == ["hallucination", "tone"]
    assert now["correction"] == answer["correction"]
    assert [(e["version"], e["status"], e["note"]) for e in now["history"]] == [
        (1, "reviewed", "The menu moved in v2."), (2, "dismissed", None),
    ]  # fmt: skip
    events = reviews(app)
    assert [(e.feedback.id, e.entry.version) for e in events] == [
        (given["id"], 1),
        (given["id"], 2),
    ]
    assert events[0].task is not None and events[0].task.id == given["task_id"]


async def test_a_stale_version_is_a_conflict_with_the_current_state(app: Harness) -> None:
    given = await rated(app, "down")
    first = await send_review(
        app.client, given["id"], version=0, status="reviewed", labels=["tone"]
    )
    assert first.status_code == 200, first.text

    # A second reviewer loaded the item at version 0 too.
    late = await send_review(app.client, given["id"], version=0, status="dismissed", note="no")
    assert late.status_code == 409, late.text
    body = late.json()
    assert_error_shape(body, 409)
    assert body["code"] == "review_conflict" and "rita" in body["detail"]
    assert body["current"] == first.json()  # what the first reviewer left, history included
    assert (await stored(app, given["id"]))["review_status"] == "reviewed"  # nothing changed
    assert len(reviews(app)) == 1


async def test_two_reviewers_at_once_one_wins_the_other_sees_its_state(app: Harness) -> None:
    given = await rated(app, "down")
    answers = await asyncio.gather(
        *(
            send_review(app.client, given["id"], version=0, status=status, note=status)
            for status in ("reviewed", "dismissed")
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    (won,) = [a.json() for a in answers if a.status_code == 200]
    (lost,) = [a.json() for a in answers if a.status_code == 409]
    assert lost["current"] == won and won["review_version"] == 1
    assert len(won["history"]) == 1 and len(reviews(app)) == 1


async def test_an_unknown_label_is_refused_by_name_and_stores_nothing(app: Harness) -> None:
    given = await rated(app, "down")
    answer = await send_review(app.client, given["id"], version=0, labels=["tone", "rude"])
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert_error_shape(body, 422)
    assert body["code"] == "unknown_label" and "'rude'" in body["detail"]
    assert body["errors"][0]["loc"] == ["body", "labels"]
    assert (await stored(app, given["id"]))["review_version"] == 0
    assert reviews(app) == []


async def test_an_unknown_feedback_is_404(app: Harness) -> None:
    answer = await send_review(app.client, "no-such-feedback", version=0, status="reviewed")
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "feedback_not_found"


async def test_a_key_that_may_only_read_and_end_users_cannot_review(app: Harness) -> None:
    given = await rated(app, "down", user="ann")
    body = {"version": 0, "status": "dismissed", "correction": "x"}
    read_only = await send_review(app.client, given["id"], headers=READ_ALL, **body)
    assert read_only.status_code == 403, read_only.text
    assert read_only.json()["code"] == "missing_scope"
    assert "feedback:review" in read_only.json()["detail"]
    # The user who gave the feedback, with a token for any chat or for that one chat only.
    for token in (bearer("ann"), bearer("ann", sid=given["session_id"])):
        refused = await send_review(app.client, given["id"], headers=token, **body)
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "missing_scope"
    no_credential = await send_review(app.client, given["id"], headers={}, **body)
    assert no_credential.status_code == 401
    row = await stored(app, given["id"])
    assert (row["review_status"], row["correction"], row["review_version"]) == ("open", None, 0)
    assert reviews(app) == []


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"status": "reviewed"}, ["body", "version"]),
        ({"version": "0"}, ["body", "version"]),
        ({"version": True}, ["body", "version"]),
        ({"version": -1}, ["body", "version"]),
        ({"version": 0, "status": "closed"}, ["body", "status"]),
        ({"version": 0, "labels": "tone"}, ["body", "labels"]),
        ({"version": 0, "note": "n" * 2001}, ["body", "note"]),
        ({"version": 0, "correction": "c" * 20_001}, ["body", "correction"]),
        ({"version": 0, "reviewer": "me"}, ["body", "reviewer"]),
    ],
)
async def test_a_malformed_action_is_422_naming_its_field(
    make_harness: HarnessFactory, body: dict[str, Any], where: list[str]
) -> None:
    harness = await review_app(make_harness)
    given = await rated(harness, "down")
    answer = await send_review(harness.client, given["id"], **body)
    assert answer.status_code == 422, answer.text
    assert_error_shape(answer.json(), 422)
    assert answer.json()["errors"][0]["loc"] == where
    assert (await stored(harness, given["id"]))["review_version"] == 0


async def test_a_review_answers_in_json_only(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    given = await rated(harness, "down")
    url = f"/api/v1/feedback/{given['id']}/review"
    form = await harness.client.post(url, data={"version": "0"}, headers=REVIEWER)
    assert form.status_code == 415 and form.json()["code"] == "unsupported_media_type"
    listing = await harness.client.get(url, headers=REVIEWER)
    assert listing.status_code == 405


async def test_the_action_is_documented(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    document = (await harness.client.get("/openapi.json")).json()
    post = document["paths"]["/api/v1/feedback/{feedback_id}/review"]["post"]
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["version"]
    assert set(schema["properties"]) == {"version", "status", "labels", "correction", "note"}
    assert {"200", "401", "403", "404", "409", "422"} <= set(post["responses"])
    conflict = post["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict["allOf"][1]["required"] == ["current"]
    assert "feedback:review" in document["components"]["securitySchemes"]["apiKey"]["description"]
    for path in ("/api/v1/feedback", "/api/v1/feedback/export", "/api/v1/feedback/summary"):
        names = {p["name"] for p in document["paths"][path]["get"]["parameters"]}
        assert {"review_status", "review_label"} <= names, path


async def test_reviewing_needs_persistence(make_harness: HarnessFactory) -> None:
    harness = await make_harness(service_type="memory", database_url=None)
    answer = await send_review(harness.client, "any", headers=REVIEWER, version=0)
    assert answer.status_code == 501 and answer.json()["code"] == "persistence_disabled"


async def test_the_history_survives_further_reviews_in_order(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    given = await rated(harness, "down")
    for status in ("reviewed", "open", "dismissed"):
        last = await reviewed(harness.client, given["id"], status=status)
    assert [(e["version"], e["status"]) for e in last["history"]] == [
        (1, "reviewed"), (2, "open"), (3, "dismissed"),
    ]  # fmt: skip
