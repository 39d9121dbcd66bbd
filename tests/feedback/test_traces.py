"""Feedback given for a trace before its task exists attaches only once the task is completed
(issue 17, §6), like feedback through every other door.

VoltAgent's Agent asks for a link (or its evals send feedback) with the run's trace id before
the host pushes the task. If the host then pushes it `running`, the feedback must not show as
given on a reply that is still being written: it stays on the trace until the task completes,
and stays there for good if the task fails or is cancelled.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.feedback.events import FeedbackSubmitted
from app.transcripts.events import TaskFinished
from tests.support.dialects import OPERATOR, TRODO_SITE, VOLT_PUBLIC, VOLT_SECRET, dialect_options
from tests.support.harness import Harness, HarnessFactory

VOLT = {"X-Public-Key": VOLT_PUBLIC, "X-Secret-Key": VOLT_SECRET}
TRODO = {"X-Trodo-Site-Id": TRODO_SITE}
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def harness(make_harness: HarnessFactory, database: str) -> Harness:
    return await make_harness(database_url=database, **dialect_options())


async def volt_feedback(harness: Harness, score: int = 1) -> str:
    created = await harness.client.post(
        "/compat/voltagent/api/public/feedback",
        json={"trace_id": TRACE, "key": "thumbs", "score": score},
        headers=VOLT,
    )
    assert created.status_code == 201, created.text
    feedback_id: str = created.json()["id"]
    return feedback_id


async def volt_link(harness: Harness) -> str:
    link = await harness.client.post(
        "/compat/voltagent/api/public/feedback/tokens",
        json={"trace_id": TRACE, "feedback_key": "satisfaction"},
        headers=VOLT,
    )
    assert link.status_code == 201, link.text
    url: str = link.json()["url"]
    return url


async def push_running(harness: Harness) -> tuple[str, str]:
    session = await harness.client.post(
        "/api/v1/sessions", json={"user_id": "ann"}, headers=OPERATOR
    )
    session_id: str = session.json()["id"]
    task = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": "Where is my invoice?", "trace_id": TRACE},
        headers=OPERATOR,
    )
    assert task.status_code == 201 and task.json()["status"] == "running", task.text
    task_id: str = task.json()["id"]
    return session_id, task_id


async def finish(harness: Harness, task_id: str, status: str) -> None:
    body = {"append_text": "Under Billing.", "status": status}
    done = await harness.client.patch(f"/api/v1/tasks/{task_id}", json=body, headers=OPERATOR)
    assert done.status_code == 200, done.text


async def row(harness: Harness, feedback_id: str) -> dict[str, Any]:
    rows = (await harness.client.get("/api/v1/feedback", headers=OPERATOR)).json()
    (found,) = [one for one in rows if one["id"] == feedback_id]
    return dict(found)


async def task_feedback(harness: Harness, session_id: str) -> Any:
    tasks = await harness.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)
    return tasks.json()[0]["taskMetadata"]["feedback"]


def announced(harness: Harness, feedback_id: str) -> list[FeedbackSubmitted]:
    return [
        event
        for event in harness.events
        if isinstance(event, FeedbackSubmitted)
        and event.feedback.id == feedback_id
        and event.task is not None
    ]


async def test_feedback_waits_on_its_trace_while_the_task_runs(harness: Harness) -> None:
    feedback_id = await volt_feedback(harness)
    session_id, task_id = await push_running(harness)

    waiting = await row(harness, feedback_id)
    assert (waiting["target"], waiting["task_id"]) == ({"kind": "trace", "id": TRACE}, None)
    assert await task_feedback(harness, session_id) is None
    assert announced(harness, feedback_id) == []

    await finish(harness, task_id, "completed")
    attached = await row(harness, feedback_id)
    assert (attached["target"], attached["session_id"], attached["user_id"]) == (
        {"kind": "task", "id": task_id},
        session_id,
        "ann",
    )
    state = await task_feedback(harness, session_id)
    assert (state["provided"], state["feedbackId"], state["type"]) == (True, feedback_id, "up")
    (event,) = announced(harness, feedback_id)
    assert event.task is not None and event.feedback.marks_task
    # Pages hear the task complete first, then the feedback on it.
    finished = next(e for e in harness.events if isinstance(e, TaskFinished))
    assert harness.events.index(finished) < harness.events.index(event)


@pytest.mark.parametrize("status", ["failed", "cancelled"])
async def test_feedback_stays_on_the_trace_when_the_task_does_not_complete(
    harness: Harness, status: str
) -> None:
    feedback_id = await volt_feedback(harness)
    session_id, task_id = await push_running(harness)
    await finish(harness, task_id, status)
    stays = await row(harness, feedback_id)
    assert (stays["target"], stays["task_id"]) == ({"kind": "trace", "id": TRACE}, None)
    assert await task_feedback(harness, session_id) is None


async def test_a_link_answered_early_marks_the_task_only_once_completed(harness: Harness) -> None:
    url = await volt_link(harness)
    answered = await harness.client.post(url, json={"score": 1, "comment": "Great"})
    assert answered.status_code == 201, answered.text
    session_id, task_id = await push_running(harness)

    link = (await harness.client.get(url)).json()
    assert (link["task_id"], link["provided"]) == (task_id, True)  # bound to the task already
    assert (await row(harness, answered.json()["id"]))["target"]["kind"] == "trace"
    assert await task_feedback(harness, session_id) is None

    await finish(harness, task_id, "completed")
    assert (await row(harness, answered.json()["id"]))["target"] == {"kind": "task", "id": task_id}
    state = await task_feedback(harness, session_id)
    assert (state["provided"], state["feedbackId"]) == (True, answered.json()["id"])


async def test_a_link_bound_to_a_running_task_refuses_answers_until_completed(
    harness: Harness,
) -> None:
    url = await volt_link(harness)
    session_id, task_id = await push_running(harness)
    early = await harness.client.post(url, json={"score": 1})
    assert (early.status_code, early.json()["code"]) == (409, "task_not_completed")
    assert (await harness.client.get(url)).json()["provided"] is False
    await finish(harness, task_id, "completed")
    answered = await harness.client.post(url, json={"score": 0})
    assert answered.status_code == 201, answered.text
    assert (await task_feedback(harness, session_id))["feedbackId"] == answered.json()["id"]


async def test_a_trodo_run_takes_waiting_feedback_when_it_reports_ok(harness: Harness) -> None:
    feedback_id = await volt_feedback(harness, score=0)
    run = {"run_id": TRACE, "conversation_id": "conv-t", "distinct_id": "ben", "input": "Hi"}

    async def report(status: str) -> None:
        item = {"run": {**run, "status": status}}
        sent = await harness.client.post(
            "/compat/trodo/api/sdk/batch", json={"items": [item]}, headers=TRODO
        )
        assert sent.json()["results"][0]["status"] == 200, sent.text

    await report("running")
    assert (await row(harness, feedback_id))["target"]["kind"] == "trace"
    await report("ok")
    attached = await row(harness, feedback_id)
    assert (attached["target"], attached["user_id"], attached["rating"]) == (
        {"kind": "task", "id": TRACE},
        "ben",
        "down",
    )
