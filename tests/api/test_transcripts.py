from __future__ import annotations

from bs4 import BeautifulSoup

from app.transcripts.events import TaskCreated, TaskFinished, TaskUpdated
from tests.support.harness import Harness


async def test_create_session_with_and_without_id(harness: Harness) -> None:
    named = await harness.client.post(
        "/api/v1/sessions", json={"id": "web-session-xyz", "title": "Support", "metadata": {"a": 1}}
    )
    generated = await harness.client.post("/api/v1/sessions", json={})
    assert named.status_code == generated.status_code == 201
    assert named.json()["id"] == "web-session-xyz"
    assert named.json()["metadata"] == {"a": 1}
    assert named.json()["user_id"] == "dev_user"
    assert generated.json()["id"]


async def test_duplicate_ids_are_conflicts(harness: Harness) -> None:
    await harness.client.post("/api/v1/sessions", json={"id": "s1"})
    again = await harness.client.post("/api/v1/sessions", json={"id": "s1"})
    task = await harness.client.post(
        "/api/v1/sessions/s1/tasks", json={"id": "t1", "request_text": "q"}
    )
    task_again = await harness.client.post(
        "/api/v1/sessions/s1/tasks", json={"id": "t1", "request_text": "q"}
    )
    assert (again.status_code, task.status_code, task_again.status_code) == (409, 201, 409)
    assert again.json()["code"] == "session_exists"
    assert task_again.json()["code"] == "task_exists"


async def test_streamed_task_lifecycle(harness: Harness) -> None:
    session_id = await harness.new_session()
    created = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={
            "id": "task-1",
            "request_text": "Summarise",
            "model": "gpt-x",
            "prompt_version": "v3",
        },
    )
    assert created.status_code == 201
    assert created.json()["status"] == "running"
    await harness.client.patch("/api/v1/tasks/task-1", json={"append_text": "Hello "})
    await harness.client.patch("/api/v1/tasks/task-1", json={"append_text": "world"})
    done = await harness.client.patch("/api/v1/tasks/task-1", json={"status": "completed"})

    assert done.status_code == 200
    task = done.json()
    assert (task["response_text"], task["status"], task["model"], task["prompt_version"]) == (
        "Hello world", "completed", "gpt-x", "v3",
    )  # fmt: skip
    assert task["end_time"] >= task["start_time"]
    kinds = [type(event) for event in harness.events]
    assert kinds == [TaskCreated, TaskUpdated, TaskUpdated, TaskFinished]


async def test_finished_task_cannot_change(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.patch(f"/api/v1/tasks/{task_id}", json={"append_text": "more"})
    assert response.status_code == 409
    assert response.json()["code"] == "task_finished"


async def test_failed_task_keeps_its_error(harness: Harness) -> None:
    session_id = await harness.new_session()
    created = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "q"}
    )
    task_id = created.json()["id"]
    failed = await harness.client.patch(
        f"/api/v1/tasks/{task_id}", json={"status": "failed", "error": "Model timed out"}
    )
    assert (failed.json()["status"], failed.json()["error"]) == ("failed", "Model timed out")


async def test_patch_validation(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = (
        await harness.client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "q"}
        )
    ).json()["id"]
    both = await harness.client.patch(
        f"/api/v1/tasks/{task_id}", json={"append_text": "a", "response_text": "b"}
    )
    empty = await harness.client.patch(f"/api/v1/tasks/{task_id}", json={})
    bad_status = await harness.client.patch(f"/api/v1/tasks/{task_id}", json={"status": "running"})
    missing = await harness.client.patch("/api/v1/tasks/nope", json={"status": "completed"})
    assert [r.status_code for r in (both, empty, bad_status, missing)] == [422, 422, 422, 404]


async def test_task_events_are_recorded(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post(
        f"/api/v1/tasks/{task_id}/events",
        json={"direction": "request", "topic": "ns/agent/request", "payload": {"message": "hi"}},
    )
    assert response.status_code == 201
    assert response.json()["payload"] == {"message": "hi"}
    missing_payload = await harness.client.post(
        f"/api/v1/tasks/{task_id}/events", json={"direction": "request"}
    )
    unknown_task = await harness.client.post(
        "/api/v1/tasks/nope/events", json={"direction": "request", "payload": None}
    )
    assert (missing_payload.status_code, unknown_task.status_code) == (422, 404)


async def test_tasks_of_unknown_session_are_404(harness: Harness) -> None:
    listed = await harness.client.get("/api/v1/sessions/nope/tasks")
    created = await harness.client.post("/api/v1/sessions/nope/tasks", json={"request_text": "q"})
    assert (listed.status_code, created.status_code) == (404, 404)
    assert listed.json()["detail"] == "Session with ID 'nope' not found."


async def test_transcript_lists_tasks_in_order_with_feedback_state(harness: Harness) -> None:
    session_id = await harness.new_session()
    first = await harness.completed_task(session_id, "one")
    second = await harness.completed_task(session_id, "two")
    await harness.client.post(
        "/api/v1/feedback", json={"taskId": second, "sessionId": session_id, "feedbackType": "up"}
    )
    tasks = (await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")).json()
    assert [task["id"] for task in tasks] == [first, second]
    assert tasks[0]["taskMetadata"]["feedback"] is None
    assert tasks[1]["taskMetadata"]["feedback"]["submitted"] is True


async def test_bad_identifier_is_refused(harness: Harness) -> None:
    response = await harness.client.post("/api/v1/sessions", json={"id": "has space"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "id"]


async def test_task_metadata_a_platform_pushes_never_passes_for_given_feedback(
    harness: Harness,
) -> None:
    """Until feedback shown on a task was read from the feedback table, it was a copy kept in
    the task's metadata: a platform pushing `{"feedback": {...}}` there locked the widget's
    controls as if the user had rated the reply."""
    session_id = await harness.new_session()
    forged = {"type": "up", "text": None, "submitted": True, "id": "not-a-feedback"}
    task_id = await harness.completed_task(session_id, metadata={"feedback": forged})

    page = BeautifulSoup((await harness.client.get(f"/chat/{session_id}")).text, "html.parser")
    controls = page.select_one(f"#controls-{task_id}")
    assert controls is not None and controls["data-state"] == "open"
    (listed,) = (await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")).json()
    assert listed["taskMetadata"]["feedback"] is None

    liked = await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"},
    )
    assert liked.status_code == 202, liked.text
    (listed,) = (await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")).json()
    state = listed["taskMetadata"]["feedback"]
    assert (state["type"], state["id"]) == ("up", liked.json()["id"])
