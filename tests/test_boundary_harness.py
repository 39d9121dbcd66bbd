"""The boundary harness (issue 17, §3): hostile but plausible input at every door, on SQLite and
PostgreSQL, and after every request what must hold (tests/support/hostile_harness.py): no 5xx; input
the rule refuses is refused as `invalid_text`; a refused write stores nothing; an accepted write
reads back identically through the listing and both exports (and the transcript, the widget
page and the broker payload where it lands there).

One app per door group and database; each example sends one request through every door of
its group, so every door gets the same number of examples. `make test` runs the bounded
profile (few examples, derandomized, so a run is repeatable); `make fuzz` the long one
(FEEDBACK_WIDGET_FUZZ=1, FEEDBACK_WIDGET_FUZZ_EXAMPLES to choose how many, default 500).
FEEDBACK_WIDGET_FUZZ_DEBUG=1 prints every refusal, which helps when tuning the strategies.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from tests.publishing.test_dispatcher import FlakyReceiver
from tests.support import eventually
from tests.support import hostile_dialects as dialects
from tests.support import hostile_doors as doors
from tests.support import hostile_reviews as reviews
from tests.support.databases import DATABASES, database_url
from tests.support.dialects import OPERATOR, dialect_options
from tests.support.harness import HarnessFactory
from tests.support.hostile_harness import Fuzz
from tests.support.hostile_values import (
    clean_json,
    clean_text,
    same,
    short_clean_text,
    short_text,
    sometimes_poisoned,
)

_QUIET = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile(
    "boundary-bounded",
    max_examples=int(os.environ.get("FEEDBACK_WIDGET_FUZZ_EXAMPLES", "15")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_QUIET,
)
settings.register_profile(
    "boundary-fuzz",
    max_examples=int(os.environ.get("FEEDBACK_WIDGET_FUZZ_EXAMPLES", "500")),
    deadline=None,
    database=None,
    suppress_health_check=_QUIET,
)
HARNESS = settings.get_profile(
    "boundary-fuzz" if os.environ.get("FEEDBACK_WIDGET_FUZZ") else "boundary-bounded"
)
if os.environ.get("NOSHRINK"):
    from hypothesis import Phase

    HARNESS = settings(HARNESS, phases=[Phase.explicit, Phase.generate])

Door = Callable[[Fuzz, st.DataObject], Awaitable[None]]
GROUPS: dict[str, list[Door]] = {
    "widget": [doors.widget_message, doors.widget_feedback],
    "api": [doors.sam_feedback, doors.push_session, doors.push_task, doors.patch_task,
            doors.task_event, reviews.review_feedback],
    "links": [doors.link_tokens, doors.link_ingest, doors.volt_ingest, dialects.volt_tokens],
    "dialects": [dialects.trodo_batch, dialects.trodo_run_feedback, dialects.trodo_track_agent,
                 dialects.agentsight_conversation, dialects.agentsight_message,
                 dialects.portkey_create, dialects.portkey_update, dialects.volt_feedback],
}  # fmt: skip


def harness_options(**extra: Any) -> dict[str, Any]:
    options = dialect_options(**extra)
    options["feedback_reasons"] = {
        "up": list(doors.REASONS["up"]),
        "down": list(doors.REASONS["down"]),
    }
    options["feedback_keys"] += [
        {"name": "grade", "type": "continuous", "min": 0, "max": 10},
        {"name": "note", "type": "freeform"},
    ]
    options["review"] = {"labels": list(reviews.REVIEW_LABELS)}
    reviewer = {
        "name": reviews.REVIEWER_NAME,
        "key": reviews.REVIEWER["X-API-Key"],
        "scopes": ["feedback:review"],
    }
    options["auth"] = {**options["auth"], "api_keys": [*options["auth"]["api_keys"], reviewer]}
    return options


@pytest.fixture(params=DATABASES)
async def database(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    async with database_url(request.param, sqlite_url) as url:
        yield url


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Nothing failed out of sight either: no listener, runner or batch item logged an error."""
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, [record.getMessage() for record in errors]


@pytest.fixture
async def fuzz(
    database: str, make_harness: HarnessFactory, no_errors_logged: None
) -> AsyncIterator[Fuzz]:
    app = await make_harness(database_url=database, **harness_options())
    harness = Fuzz(app.client)
    yield harness
    shares = harness.report()
    print(f"\nboundary harness on {database.split(':')[0]}: (accepted, refused) per door")
    for door, (accepted, refused) in shares.items():
        print(f"  {door}: {accepted}, {refused}")
    # A door that never accepted anything proved nothing about reading back.
    assert all(accepted for accepted, _ in shares.values()), shares


@pytest.mark.parametrize("group", GROUPS)
@HARNESS
@given(data=st.data())
async def test_every_write_door_keeps_what_it_accepts_and_nothing_else(
    fuzz: Fuzz, group: str, data: st.DataObject
) -> None:
    for door in GROUPS[group]:
        await door(fuzz, data)


QUERY_NAMES = (
    "start_date", "end_date", "task_id", "session_id", "rating", "key", "source", "model",
    "reason", "page", "page_size", "query_user_id", "format", "limit", "before", "layout",
    "theme", "autoheight", "parent_origin", "after", "token",
)  # fmt: skip
PLAUSIBLE = ("up", "down", "all", "model", "csv", "jsonl", "1", "0", "-1", "100", "1e3",
             "99999999999999999999", "2025-10-01", "2025-10-01T00:00:00+01:00",
             "9999-12-31T23:59:59-01:00", "0001-01-01", "embed", "dark")  # fmt: skip
READS = (
    "/api/v1/feedback", "/api/v1/feedback/summary", "/api/v1/feedback/export",
    "/api/v1/sessions/{id}/tasks", "/chat/{id}", "/embed/{id}", "/chat/{id}/earlier", "/",
)  # fmt: skip


# A query holds few values: each is hostile more often than a body's text is.
query_text = sometimes_poisoned(clean_text, 5)


def _wire(value: str) -> str:
    """Percent-encoded UTF-8; a lone surrogate goes out as its (invalid) UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _arrives(value: str) -> str:
    """What the server decodes from `_wire(value)`: invalid UTF-8 becomes U+FFFD."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@HARNESS
@given(data=st.data())
async def test_every_read_door_answers_hostile_queries_and_paths(
    fuzz: Fuzz, data: st.DataObject
) -> None:
    session_id, _, _ = await fuzz.completed_task()
    for template in READS:
        segment = data.draw(st.one_of(st.just(session_id), query_text), label="path segment")
        names = st.one_of(st.sampled_from(QUERY_NAMES), short_text)
        values = st.sampled_from(PLAUSIBLE) | query_text
        pairs = data.draw(st.lists(st.tuples(names, values), max_size=4), label="query")
        query = "&".join(f"{_wire(name)}={_wire(value)}" for name, value in pairs)
        url = template.format(id=_wire(segment)) + (f"?{query}" if query else "")
        response = await fuzz.client.get(url, headers=OPERATOR if url.startswith("/api") else {})
        sent = [_arrives(part) for pair in pairs for part in pair]
        if "{id}" in template:
            sent.append(_arrives(segment))
        fuzz.judge(f"GET {template}", response, sent, unclaimed="\n" in _arrives(segment))


@pytest.fixture
def receiver() -> Iterator[FlakyReceiver]:
    webhook = FlakyReceiver("boundary-webhook-secret", failures=0)
    yield webhook
    webhook.close()


@pytest.fixture
async def published(
    database: str, make_harness: HarnessFactory, receiver: FlakyReceiver, no_errors_logged: None
) -> Fuzz:
    """An app that sends every feedback event, with the task's whole log, to `receiver`."""
    webhook = {"url": receiver.url, "secret": receiver.secret}
    publishing = {"enabled": True, "include_task_info": "stim", "webhooks": [webhook]}
    app = await make_harness(
        database_url=database, **harness_options(feedback_publishing=publishing)
    )
    signed_in = await app.client.post("/admin/login", data={"api_key": OPERATOR["X-API-Key"]})
    assert signed_in.status_code == 303, signed_in.text  # the console reads too
    return Fuzz(app.client)


@settings(HARNESS, max_examples=max(4, HARNESS.max_examples // 2))
@given(data=st.data())
async def test_accepted_text_reads_back_in_the_transcript_and_the_broker_payload(
    published: Fuzz, receiver: FlakyReceiver, data: st.DataObject
) -> None:
    """Hostile-but-storable text through a push, an execution-log event and a rating: the same
    text in the transcript, on the widget page, in the console, and in the webhook's stim
    payload."""
    fz, client = published, published.client
    request_text = data.draw(clean_text.filter(str.strip), label="request_text")
    comment = data.draw(clean_text, label="comment")
    payload = data.draw(clean_json, label="event payload")
    task_metadata = data.draw(st.dictionaries(clean_text, clean_json, max_size=3), label="metadata")
    session_id = await fz.session()
    task = await fz.send(
        "POST",
        f"/api/v1/sessions/{session_id}/tasks",
        body={"request_text": request_text, "metadata": task_metadata},
        headers=OPERATOR,
    )
    assert task.status_code == 201, task.text
    task_id = task.json()["id"]
    url = f"/api/v1/tasks/{task_id}/events"
    event = {"direction": "request", "payload": payload}
    assert (await fz.send("POST", url, body=event, headers=OPERATOR)).status_code == 201
    await client.patch(f"/api/v1/tasks/{task_id}", json={"status": "completed"}, headers=OPERATOR)
    rated = await fz.send(
        "POST",
        "/api/v1/feedback",
        body={"taskId": task_id, "sessionId": session_id, "feedbackType": "down",
              "feedbackText": comment},
    )  # fmt: skip
    assert rated.status_code == 202, rated.text
    (shown,) = await fz.tasks(session_id)
    assert shown["request_text"] == request_text
    assert same(
        {**task_metadata, "feedback": shown["taskMetadata"]["feedback"]}, shown["taskMetadata"]
    )
    page = await client.get(f"/chat/{session_id}")
    assert str(escape(request_text)) in page.text
    console = await client.get(f"/admin/chats/{session_id}")
    assert console.status_code == 200 and str(escape(request_text)) in console.text
    if (stored := doors.stored_comment(comment)) is not None:
        assert str(escape(stored)) in console.text
    assert (await client.get("/admin/feed")).status_code == 200
    feedback_id = rated.json()["id"]
    await eventually(
        lambda: any(p["feedback"]["id"] == feedback_id for p in receiver.accepted),
        what="the webhook delivery",
    )
    ours = [p for p in receiver.accepted if p["feedback"]["id"] == feedback_id]
    (sent,) = [p for p in ours if p["event"] == "feedback.submitted"]
    assert sent["feedback"]["feedback_text"] == doors.stored_comment(comment)
    stim = sent["task_stim_data"]
    assert stim["invocation_details"]["initial_request_text"] == request_text
    assert same([payload], [step["payload"] for step in stim["invocation_flow"]])

    # A reviewer's correction and note, as the review event carries them.
    correction = data.draw(clean_text.filter(str.strip), label="correction")
    note = data.draw(short_clean_text.filter(lambda t: t.strip() and len(t) <= 2000), "note")
    url = f"/api/v1/feedback/{feedback_id}/review"
    body = {"version": 0, "labels": list(reviews.REVIEW_LABELS[:2]), "correction": correction,
            "note": note}  # fmt: skip
    review = await fz.send("POST", url, body=body, headers=reviews.REVIEWER)
    assert review.status_code == 200, review.text

    def reviewed() -> list[dict[str, Any]]:
        return [
            p
            for p in receiver.accepted
            if p["feedback"]["id"] == feedback_id and p["event"] == "feedback.reviewed"
        ]

    await eventually(lambda: bool(reviewed()), what="the review's delivery")
    (event,) = reviewed()
    assert (event["review"]["correction"], event["review"]["note"]) == (correction, note)
    assert event["feedback"]["correction"] == correction
    assert event["review"]["labels"] == list(reviews.REVIEW_LABELS[:2])
