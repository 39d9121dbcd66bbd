"""Helpers for tests that chat with an agent through the widget's own forms."""

from __future__ import annotations

import json
from typing import Any

import httpx
from bs4 import BeautifulSoup, Tag

from app.transcripts.events import TaskFinished, TaskUpdated
from app.transcripts.model import TaskView
from tests.support import eventually
from tests.support.agents import LLAMA_API_KEY, LLAMA_MODEL_NAME
from tests.support.harness import Harness

HTMX = {"HX-Request": "true"}


def agent(kind: str, **keys: Any) -> dict[str, Any]:
    """An `agent` config mapping for config_dict(agent=...)."""
    return {"type": kind, **keys}


def model_server(url: str, **keys: object) -> dict[str, object]:
    """The `openai` agent config for llama.cpp's server at `url` (tests/support/agents.py)."""
    settings = {
        "base_url": f"{url}/v1",
        "model": LLAMA_MODEL_NAME,
        "api_key": LLAMA_API_KEY,
        "max_tokens": 32,
        "temperature": 0,
        **keys,
    }
    return agent("openai", **settings)


async def new_chat(harness: Harness) -> str:
    created = await harness.client.post("/chat")
    assert created.status_code == 303, created.text
    return str(created.headers["location"]).rsplit("/", 1)[1]


def started_turn(response: httpx.Response) -> str:
    """The id of the turn an htmx post started: its answer is 204, naming the turn in the event
    it triggers in the poster's page (the turn itself arrives over the chat's stream)."""
    assert response.status_code == 204, response.text
    assert response.content == b""
    trigger = json.loads(response.headers["HX-Trigger"])
    return str(trigger["feedback-widget:sent"]["taskId"])


async def send(harness: Harness, session_id: str, text: str) -> str:
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": text}, headers=HTMX
    )
    return started_turn(response)


def finish_of(harness: Harness, task_id: str) -> TaskFinished | None:
    """The task's TaskFinished event, once it has been raised."""
    for event in harness.events:
        if isinstance(event, TaskFinished) and event.task.id == task_id:
            return event
    return None


async def finished(harness: Harness, task_id: str, within: float = 60) -> TaskView:
    await eventually(
        lambda: finish_of(harness, task_id) is not None, within=within, what=f"{task_id} to finish"
    )
    event = finish_of(harness, task_id)
    assert event is not None
    return event.task


def streamed(harness: Harness, task_id: str) -> list[TaskView]:
    """Every committed write of streamed text, in order."""
    return [
        event.task
        for event in harness.events
        if isinstance(event, TaskUpdated) and event.task.id == task_id
    ]


async def first_text(harness: Harness, task_id: str, within: float = 30) -> TaskView:
    """The task once some of its reply has been written."""

    def writes() -> list[TaskView]:
        return [task for task in streamed(harness, task_id) if task.response_text]

    await eventually(lambda: bool(writes()), within=within, what=f"{task_id} to stream text")
    return writes()[0]


async def stored_task(harness: Harness, session_id: str, task_id: str) -> dict[str, Any]:
    """The task as the JSON API returns it."""
    response = await harness.client.get(f"/api/v1/sessions/{session_id}/tasks")
    assert response.status_code == 200, response.text
    for task in response.json():
        if task["id"] == task_id:
            return dict(task)
    raise AssertionError(f"task {task_id} is not in session {session_id}")


async def stop(harness: Harness, session_id: str, task_id: str) -> None:
    response = await harness.client.post(
        f"/chat/{session_id}/tasks/{task_id}/stop", data={}, headers=HTMX
    )
    assert (response.status_code, response.content) == (204, b""), response.text


async def reply_on_page(harness: Harness, session_id: str, task_id: str) -> Tag:
    """The turn's reply as the chat's page shows it."""
    response = await harness.client.get(f"/chat/{session_id}")
    assert response.status_code == 200, response.text
    reply = BeautifulSoup(response.text, "html.parser").select_one(f"#reply-{task_id}")
    assert reply is not None
    return reply
