"""Our own single-use feedback links: issue with an operator key, answer once without one."""

from __future__ import annotations

import asyncio

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import update

from app.db.models import FeedbackToken
from app.feedback.events import FeedbackSubmitted
from tests.support.dialects import OPERATOR, dialect_options
from tests.support.harness import Harness, HarnessFactory


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(**dialect_options())


async def task_with_link(harness: Harness, **link: object) -> tuple[str, str, dict[str, object]]:
    session = await harness.client.post(
        "/api/v1/sessions", json={"user_id": "dev_user"}, headers=OPERATOR
    )
    session_id = session.json()["id"]
    task = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": "Q", "status": "completed", "response_text": "A", "trace_id": "tr-1"},
        headers=OPERATOR,
    )
    created = await harness.client.post(
        "/api/v1/feedback/tokens", json={"task_id": "tr-1", **link}, headers=OPERATOR
    )
    assert created.status_code == 201, created.text
    return session_id, task.json()["id"], created.json()


async def test_a_link_takes_one_answer_then_409_and_marks_the_task(harness: Harness) -> None:
    session_id, task_id, link = await task_with_link(harness)
    assert str(link["url"]).startswith("http://testserver/api/v1/feedback/ingest/")
    assert (link["key"], link["task_id"]) == ("thumbs", task_id)
    before = (await harness.client.get(str(link["url"]))).json()
    assert (before["provided"], before["feedback_config"]) == (False, {"type": "boolean"})

    answer = await harness.client.post(str(link["url"]), json={"rating": "down", "comment": "Slow"})
    assert answer.status_code == 201, answer.text
    again = await harness.client.post(str(link["url"]), json={"rating": "up"})
    assert (again.status_code, again.json()["code"]) == (409, "feedback_link_used")

    tasks = (
        await harness.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)
    ).json()
    state = tasks[0]["taskMetadata"]["feedback"]
    assert (state["type"], state["text"], state["provided"]) == ("down", "Slow", True)
    assert (await harness.client.get(str(link["url"]))).json()["provided"] is True
    # Open pages hear of it: the event the SSE hub renders carries the task's new state.
    (event,) = [e for e in harness.events if isinstance(e, FeedbackSubmitted)]
    assert event.task is not None and event.task.id == task_id
    assert event.feedback.marks_task and event.feedback.id == answer.json()["id"]
    # The widget shows it as given, like its own thumbs: Dislike pressed, both locked.
    page = BeautifulSoup((await harness.client.get(f"/chat/{session_id}")).text, "html.parser")
    controls = page.select_one(f"#controls-{task_id}")
    assert controls is not None and controls["data-state"] == "submitted"
    pressed = [b["title"] for b in controls.select("button[aria-pressed=true]")]
    assert pressed == ["Dislike"] and all(b.has_attr("disabled") for b in controls.select("button"))


async def test_an_expired_link_is_410(harness: Harness) -> None:
    _, _, link = await task_with_link(harness)
    await harness.change(update(FeedbackToken).values(expires_time=0))
    expired = await harness.client.post(str(link["url"]), json={"rating": "up"})
    assert (expired.status_code, expired.json()["code"]) == (410, "feedback_link_expired")


async def test_two_racing_answers_store_one(harness: Harness) -> None:
    _, _, link = await task_with_link(harness, key="satisfaction")
    answers = await asyncio.gather(
        *(harness.client.post(str(link["url"]), json={"score": n % 2}) for n in range(8))
    )
    assert sorted(a.status_code for a in answers) == [201] + [409] * 7


async def test_issuing_needs_feedback_write_and_a_known_task(harness: Harness) -> None:
    assert (
        await harness.client.post("/api/v1/feedback/tokens", json={"task_id": "tr-1"})
    ).status_code == 403
    unknown = await harness.client.post(
        "/api/v1/feedback/tokens", json={"task_id": "nope"}, headers=OPERATOR
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "task_not_found")
    await task_with_link(harness)
    too_long = await harness.client.post(
        "/api/v1/feedback/tokens",
        json={"task_id": "tr-1", "expires_in_seconds": 10**9},
        headers=OPERATOR,
    )
    assert (too_long.status_code, too_long.json()["code"]) == (400, "invalid_expiry")


async def test_a_value_that_does_not_fit_the_key_is_refused_and_the_link_stays_usable(
    harness: Harness,
) -> None:
    _, _, link = await task_with_link(harness, key="satisfaction")
    wrong = await harness.client.post(str(link["url"]), json={"score": 5})
    assert wrong.status_code == 422
    assert "choose one of 1 (Satisfied), 0 (Unsatisfied)" in wrong.json()["detail"]
    assert (await harness.client.post(str(link["url"]), json={"score": 0})).status_code == 201
