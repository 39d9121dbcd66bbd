"""Nothing is stored that cannot be read back (issue 17, §2): the reported cases in JSON
bodies, one by one.

Text with a lone UTF-16 surrogate or a NUL, and numbers JSON and PostgreSQL cannot hold, are
refused at the door that received them, naming the field; nothing is stored, and every read
keeps working. Forms, URLs and tokens: tests/web/test_boundary_middleware.py. The property test over
every door: tests/test_boundary_harness.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.compat.test_dialects import AGENTSIGHT, PORTKEY, TRODO, VOLT
from tests.support.databases import (
    DATABASES,
    NUL,
    SURROGATE,
    database_url,
    everything_reads,
    feedback_everywhere,
    refusal,
    send_json,
    total_feedback,
)
from tests.support.dialects import OPERATOR, dialect_options, push_task
from tests.support.harness import Harness, HarnessFactory


@pytest.fixture(params=DATABASES)
async def database(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    async with database_url(request.param, sqlite_url) as url:
        yield url


@pytest.fixture
async def harness(database: str, make_harness: HarnessFactory) -> Harness:
    return await make_harness(database_url=database, **dialect_options())


# (door, method, path, body, status, loc). `{sid}` and `{tid}` are a pushed task's session and
# id; its trace id is "tr".
METADATA_DOORS: list[tuple[str, str, str, Any, dict[str, str], int, list[Any]]] = [
    ("portkey", "POST", "/compat/portkey/v1/feedback",
     {"trace_id": "tr", "value": 1, "metadata": {"k": SURROGATE}}, PORTKEY, 400,
     ["body", "metadata", "k"]),
    ("portkey-string-metadata", "POST", "/compat/portkey/v1/feedback",
     {"trace_id": "tr", "value": 1, "metadata": '{"k": "\\ud800"}'}, PORTKEY, 400,
     ["body", "metadata", "k"]),
    ("agentsight", "POST", "/compat/agentsight/api/feedbacks/",
     {"kind": "message", "message_id": "tr", "sentiment": "positive",
      "metadata": {"k": SURROGATE}}, AGENTSIGHT, 400, ["body", "metadata", "k"]),
    ("push-session", "POST", "/api/v1/sessions",
     {"id": "s-new", "user_id": "dev_user", "metadata": {"k": SURROGATE}}, OPERATOR, 422,
     ["body", "metadata", "k"]),
    ("push-task", "POST", "/api/v1/sessions/{sid}/tasks",
     {"request_text": "Q", "status": "completed", "metadata": {"k": SURROGATE}}, OPERATOR, 422,
     ["body", "metadata", "k"]),
    ("task-event", "POST", "/api/v1/tasks/{tid}/events",
     {"direction": "request", "payload": {"k": [SURROGATE]}}, OPERATOR, 422,
     ["body", "payload", "k", 0]),
    ("voltagent-correction", "POST", "/compat/voltagent/api/public/feedback",
     {"trace_id": "tr", "key": "thumbs", "score": 1, "correction": {"k": SURROGATE}}, VOLT, 400,
     ["body", "correction", "k"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("door", "method", "path", "body", "headers", "status", "loc"),
    METADATA_DOORS,
    ids=[door[0] for door in METADATA_DOORS],
)
async def test_a_lone_surrogate_is_refused_where_it_enters_and_every_read_still_works(
    harness: Harness,
    door: str,
    method: str,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    loc: list[Any],
) -> None:
    session_id, task_id = await push_task(harness.client, "tr", user="dev_user")
    good_session, good_task = await push_task(harness.client, "good", user="dev_user")
    rated = await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": good_task, "sessionId": good_session, "feedbackType": "up"},
    )  # one good row, so the reads below have something to serve
    assert rated.status_code == 202, rated.text
    url = path.format(sid=session_id, tid=task_id)
    response = await send_json(harness.client, method, url, body, headers)
    assert response.status_code == status, (response.status_code, response.text)
    assert refusal(response) == (status, "invalid_text", loc), response.text
    assert "lone surrogate" in response.json()["detail"]
    assert await total_feedback(harness.client) == 1
    await everything_reads(harness, session_id)
    if door == "push-session":
        missing = await harness.client.get("/api/v1/sessions/s-new/tasks", headers=OPERATOR)
        assert missing.status_code == 404


async def test_a_nul_in_a_feedback_comment_is_refused(harness: Harness) -> None:
    session_id, task_id = await push_task(harness.client, "tr", user="dev_user")
    response = await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up",
              "feedbackText": f"fine{NUL}"},
    )  # fmt: skip
    assert refusal(response) == (422, "invalid_text", ["body", "feedbackText"])
    assert response.json()["detail"] == (
        "feedbackText contains a NUL character (U+0000), which cannot be stored."
    )
    form = await harness.client.post(
        f"/chat/{session_id}/feedback",
        data={"task_id": task_id, "rating": "down", "comment": f"bad{NUL}"},
    )
    assert form.status_code == 422 and "comment contains a NUL" in form.text
    assert await total_feedback(harness.client) == 0
    await everything_reads(harness, session_id)


async def test_a_nul_in_pushed_text_is_refused(harness: Harness) -> None:
    session_id, task_id = await push_task(harness.client, "tr", user="dev_user")
    created = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": f"Q{NUL}", "status": "running"},
        headers=OPERATOR,
    )
    assert refusal(created) == (422, "invalid_text", ["body", "request_text"])
    patched = await harness.client.patch(
        f"/api/v1/tasks/{task_id}", json={"error": f"x{NUL}"}, headers=OPERATOR
    )
    assert refusal(patched) == (422, "invalid_text", ["body", "error"])
    titled = await harness.client.post(
        "/api/v1/sessions", json={"user_id": "dev_user", "title": NUL}, headers=OPERATOR
    )
    assert refusal(titled) == (422, "invalid_text", ["body", "title"])
    await everything_reads(harness, session_id)


async def test_a_nul_in_a_link_answer_is_refused_and_the_link_stays_usable(
    harness: Harness,
) -> None:
    session_id, _ = await push_task(harness.client, "tr", user="dev_user")
    link = await harness.client.post(
        "/api/v1/feedback/tokens", json={"task_id": "tr"}, headers=OPERATOR
    )
    url = link.json()["url"]
    refused = await harness.client.post(url, json={"rating": "up", "comment": f"ok{NUL}"})
    assert refusal(refused) == (422, "invalid_text", ["body", "comment"])
    answered = await harness.client.post(url, json={"rating": "up", "comment": "ok"})
    assert answered.status_code == 201, answered.text
    await everything_reads(harness, session_id)


async def test_a_non_finite_number_is_refused(harness: Harness) -> None:
    response = await send_json(
        harness.client,
        "POST",
        "/api/v1/sessions",
        '{"user_id": "dev_user", "metadata": {"n": 1e999}}',
        OPERATOR,
    )
    assert refusal(response) == (422, "invalid_text", ["body", "metadata", "n"])
    session_id, _ = await push_task(harness.client, "tr", user="dev_user")
    portkey = await send_json(
        harness.client,
        "POST",
        "/compat/portkey/v1/feedback",
        '{"trace_id": "tr", "value": 1, "metadata": {"n": [-1e999]}}',
        PORTKEY,
    )
    assert refusal(portkey) == (400, "invalid_text", ["body", "metadata", "n", 0])
    await everything_reads(harness, session_id)


async def test_integers_beyond_64_bits_and_deep_nesting_are_refused_by_the_same_rule(
    harness: Harness,
) -> None:
    big = await send_json(
        harness.client, "POST", "/api/v1/sessions", {"metadata": {"n": 2**63}}, OPERATOR
    )
    assert refusal(big) == (422, "invalid_text", ["body", "metadata", "n"])
    deep: Any = "x"
    for _ in range(70):
        deep = [deep]
    nested = await send_json(
        harness.client, "POST", "/api/v1/sessions", {"metadata": {"n": deep}}, OPERATOR
    )
    assert refusal(nested)[:2] == (422, "invalid_text")
    assert "nested more than 64 levels deep" in nested.json()["detail"]


async def test_text_that_can_be_stored_is_stored_and_read_back_exactly(harness: Harness) -> None:
    """What the rule lets through round-trips: controls, bidi overrides, noncharacters,
    astral characters, a key with a newline."""
    text = "a\x01\x1b[31m\u202etxt\u2066\ufffe\uffff\U0001f600\r\nend\x7f"
    session_id, _ = await push_task(harness.client, "tr", user="dev_user")
    response = await send_json(
        harness.client,
        "POST",
        "/compat/portkey/v1/feedback",
        {"trace_id": "tr", "value": 3, "metadata": {"comment": f"c {text}", f"k\n{text}": text}},
        PORTKEY,
    )
    assert response.status_code == 200, response.text
    listing, total, lines, rows = await feedback_everywhere(harness.client)
    assert total == 1
    assert listing[0]["metadata"] == {"comment": f"c {text}", f"k\n{text}": text}
    assert listing[0]["comment"] == f"c {text}"
    assert lines == listing
    assert rows[0]["comment"] == f"c {text}"
    await everything_reads(harness, session_id)


# --- Found by the harness: text longer than its PostgreSQL column (SQLite never checks) --------


async def test_a_link_answer_label_longer_than_its_column_is_refused(harness: Harness) -> None:
    session_id, _ = await push_task(harness.client, "tr", user="dev_user")
    link = await harness.client.post(
        "/api/v1/feedback/tokens",
        json={"task_id": "tr", "key": "note", "feedback_config": {"type": "freeform"}},
        headers=OPERATOR,
    )
    url = link.json()["url"]
    refused = await harness.client.post(url, json={"label": "x" * 256})
    assert refusal(refused) == (422, "validation_error", ["body", "label"]), refused.text
    assert refused.json()["detail"] == "Labels are limited to 255 characters."
    answered = await harness.client.post(url, json={"label": "x" * 255})
    assert answered.status_code == 201, answered.text
    await everything_reads(harness, session_id)


async def test_a_trodo_run_user_longer_than_its_column_is_refused_per_item(
    harness: Harness,
) -> None:
    run = {"run_id": "run-long", "distinct_id": "u" * 256, "input": "Hi", "output": "Hello"}
    response = await harness.client.post(
        "/compat/trodo/api/sdk/batch", json={"items": [{"run": run}]}, headers=TRODO
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["status"], result.get("code")) == (400, "invalid_request"), result
    assert "distinct_id is limited to 255 characters" in result["error"]
