"""Helpers for tests that chat with an agent through the widget's own forms."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from app.events.domain import TaskFinished, TaskUpdated
from app.events.snapshots import TaskView
from tests.conftest import Harness

HTMX = {"HX-Request": "true"}


def agent(kind: str, **keys: Any) -> dict[str, Any]:
    """An `agent` config mapping for config_dict(agent=...)."""
    return {"type": kind, **keys}


async def new_chat(harness: Harness) -> str:
    created = await harness.client.post("/chat")
    assert created.status_code == 303, created.text
    return str(created.headers["location"]).rsplit("/", 1)[1]


async def send(harness: Harness, session_id: str, text: str) -> str:
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": text}, headers=HTMX
    )
    assert response.status_code == 200, response.text
    return str(response.headers["X-Task-Id"])


async def finished(harness: Harness, task_id: str, within: float = 60) -> TaskView:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for event in harness.events:
            if isinstance(event, TaskFinished) and event.task.id == task_id:
                return event.task
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} did not finish within {within} s")


def streamed(harness: Harness, task_id: str) -> list[TaskView]:
    """Every committed write of streamed text, in order."""
    return [
        event.task
        for event in harness.events
        if isinstance(event, TaskUpdated) and event.task.id == task_id
    ]


async def first_text(harness: Harness, task_id: str, within: float = 30) -> TaskView:
    """The task once some of its reply has been written."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        writes = [task for task in streamed(harness, task_id) if task.response_text]
        if writes:
            return writes[0]
        await asyncio.sleep(0.02)
    raise AssertionError(f"task {task_id} streamed nothing within {within} s")


async def stored_task(harness: Harness, session_id: str, task_id: str) -> dict[str, Any]:
    """The task as the JSON API returns it."""
    response = await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")
    assert response.status_code == 200, response.text
    for task in response.json():
        if task["id"] == task_id:
            return dict(task)
    raise AssertionError(f"task {task_id} is not in session {session_id}")


async def stop(harness: Harness, session_id: str, task_id: str) -> str:
    response = await harness.client.post(
        f"/chat/{session_id}/tasks/{task_id}/stop", data={}, headers=HTMX
    )
    assert response.status_code == 200, response.text
    return response.text
