from __future__ import annotations

import logging
from typing import Any

import pytest

from app.feedback.events import FeedbackSubmitted
from tests.support.harness import Harness, HarnessFactory


def body(task_id: str, session_id: str, rating: str = "up", **extra: Any) -> dict[str, Any]:
    return {"taskId": task_id, "sessionId": session_id, "feedbackType": rating, **extra}


async def test_config_reports_feedback_on(harness: Harness) -> None:
    response = await harness.client.get("/api/v1/config")
    assert response.json() == {
        "frontend_collect_feedback": True,
        "persistence_enabled": True,
        "feedback_disabled_reason": None,
    }


@pytest.mark.parametrize(
    ("options", "persistence", "reason_fragment"),
    [
        ({"collect": False}, True, "frontend_collect_feedback"),
        ({"service_type": "memory", "database_url": None}, False, "memory"),
        ({"behavior": "RUN_BASED"}, False, "RUN_BASED"),
    ],
)
async def test_config_reports_why_feedback_is_off(
    make_harness: HarnessFactory, options: dict[str, Any], persistence: bool, reason_fragment: str
) -> None:
    harness = await make_harness(**options)
    answer = (await harness.client.get("/api/v1/config")).json()
    assert answer["frontend_collect_feedback"] is False
    assert answer["persistence_enabled"] is persistence
    assert reason_fragment in answer["feedback_disabled_reason"]


async def test_accepted_feedback_is_stored_marked_on_task_and_published(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)

    response = await harness.client.post(
        "/api/v1/feedback", json=body(task_id, session_id, "down", feedbackText="Too vague")
    )

    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "feedback received"
    transcript = (await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")).json()
    state = transcript[0]["taskMetadata"]["feedback"]
    # SAM's four fields, then VoltAgent's provided-state fields.
    assert {name: state[name] for name in ("type", "text", "submitted", "id")} == {
        "type": "down",
        "text": "Too vague",
        "submitted": True,
        "id": answer["id"],
    }
    assert (state["provided"], state["feedbackId"], state["key"]) == (True, answer["id"], "thumbs")
    listed = (await harness.client.get("/api/v1/feedback")).json()
    assert [(row["id"], row["rating"], row["comment"]) for row in listed] == [
        (answer["id"], "down", "Too vague")
    ]
    published = [event for event in harness.events if isinstance(event, FeedbackSubmitted)]
    assert [event.feedback.id for event in published] == [answer["id"]]


async def test_snake_case_names_are_accepted(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post(
        "/api/v1/feedback",
        json={"task_id": task_id, "session_id": session_id, "feedback_type": "up"},
    )
    assert response.status_code == 202


async def test_second_submission_for_a_task_is_a_conflict(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    first = await harness.client.post("/api/v1/feedback", json=body(task_id, session_id))
    second = await harness.client.post("/api/v1/feedback", json=body(task_id, session_id, "down"))
    assert (first.status_code, second.status_code) == (202, 409)
    assert second.json()["code"] == "feedback_already_submitted"
    assert len((await harness.client.get("/api/v1/feedback")).json()) == 1


async def test_unknown_task_is_not_found(harness: Harness) -> None:
    session_id = await harness.new_session()
    response = await harness.client.post("/api/v1/feedback", json=body("nope", session_id))
    assert response.status_code == 404
    assert response.json()["detail"] == "Task with ID 'nope' not found."


async def test_session_that_is_not_the_tasks_is_not_found(harness: Harness) -> None:
    session_id = await harness.new_session()
    other_session = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post("/api/v1/feedback", json=body(task_id, other_session))
    # Like an unknown task: a task outside the session named does not exist for the request.
    assert (response.status_code, response.json()) == (
        404,
        {"detail": f"Task with ID '{task_id}' not found.", "code": "task_not_found"},
    )


@pytest.mark.parametrize("status", ["running", "failed", "cancelled"])
async def test_feedback_on_unfinished_or_failed_task_is_a_conflict(
    harness: Harness, status: str
) -> None:
    session_id = await harness.new_session()
    created = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "q"}
    )
    task_id = created.json()["id"]
    if status != "running":
        await harness.client.patch(f"/api/v1/tasks/{task_id}", json={"status": status})
    response = await harness.client.post("/api/v1/feedback", json=body(task_id, session_id))
    assert response.status_code == 409
    assert response.json()["code"] == "task_not_completed"


@pytest.mark.parametrize(
    ("payload", "bad_field"),
    [
        ({"sessionId": "s", "feedbackType": "up"}, "taskId"),
        ({"taskId": "t", "feedbackType": "up"}, "sessionId"),
        ({"taskId": "t", "sessionId": "s", "feedbackType": "meh"}, "feedbackType"),
        (
            {"taskId": "t", "sessionId": "s", "feedbackType": "up", "feedbackText": 5},
            "feedbackText",
        ),
        (
            {"taskId": "t", "sessionId": "s", "feedbackType": "up", "feedbackText": "x" * 5001},
            "feedbackText",
        ),
    ],
)
async def test_invalid_body_names_each_bad_field(
    harness: Harness, payload: dict[str, Any], bad_field: str
) -> None:
    response = await harness.client.post("/api/v1/feedback", json=payload)
    assert response.status_code == 422
    answer = response.json()
    assert answer["code"] == "validation_error"
    assert ["body", bad_field] in [error["loc"] for error in answer["errors"]]
    assert bad_field in answer["detail"]


async def test_comment_of_exactly_5000_characters_is_accepted(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post(
        "/api/v1/feedback", json=body(task_id, session_id, feedbackText="x" * 5000)
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("options", "status", "detail"),
    [
        (
            {"service_type": "memory", "database_url": None},
            501,
            "Session management requires database configuration.",
        ),
        (
            {"behavior": "RUN_BASED"},
            501,
            "Session management requires database configuration.",
        ),
        ({"collect": False}, 403, "Feedback collection is turned off for this application."),
    ],
)
async def test_feedback_refused_when_turned_off(
    make_harness: HarnessFactory, options: dict[str, Any], status: int, detail: str
) -> None:
    harness = await make_harness(**options)
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post("/api/v1/feedback", json=body(task_id, session_id))
    assert (response.status_code, response.json()["detail"]) == (status, detail)


async def test_listing_answers_501_without_persistence(make_harness: HarnessFactory) -> None:
    harness = await make_harness(service_type="memory", database_url=None)
    response = await harness.client.get("/api/v1/feedback")
    assert response.status_code == 501
    assert response.json()["code"] == "persistence_disabled"


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"collect": False}, "frontend_collect_feedback: false"),
        ({"service_type": "memory", "database_url": None}, "session service type is memory"),
        ({"behavior": "RUN_BASED"}, "default_behavior is RUN_BASED"),
    ],
)
async def test_one_startup_warning_says_why_feedback_is_off(
    make_harness: HarnessFactory,
    caplog: pytest.LogCaptureFixture,
    options: dict[str, Any],
    reason: str,
) -> None:
    with caplog.at_level(logging.WARNING, logger="feedback_widget"):
        await make_harness(**options)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("Feedback controls are off:") and reason in warnings[0]


async def test_no_warning_when_feedback_is_on(
    make_harness: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        await make_harness()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
