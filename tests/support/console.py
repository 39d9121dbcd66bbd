"""A console-ready app: operator and reader keys, a signing secret, reasons on the thumbs; and
feedback given the way users give it (pushed tasks, then POST /api/v1/feedback)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.harness import Harness, HarnessFactory

OPERATOR_KEY = "operator-key-0123456789"
READER_KEY = "reader-key-0123456789"
SECRET = "console-secret-" + "x" * 32
KEYS = [
    {"name": "operations", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
    {"name": "reader", "key": READER_KEY, "scopes": ["feedback:read"]},
]
REASONS = {"up": ["Accurate", "Clear"], "down": ["Incorrect", "Too long", "Not helpful"]}


def console_config(**extra: Any) -> dict[str, Any]:
    return {
        "auth": {"mode": "dev", "api_keys": KEYS},
        "admin": {"secret": SECRET},
        "feedback_reasons": REASONS,
        **extra,
    }


async def console_app(make_harness: HarnessFactory, **extra: Any) -> Harness:
    return await make_harness(**console_config(**extra))


async def sign_in(harness: Harness, key: str = OPERATOR_KEY) -> None:
    response = await harness.client.post("/admin/login", data={"api_key": key})
    assert response.status_code == 303, response.text


async def rate(
    harness: Harness,
    rating: str,
    *,
    comment: str | None = None,
    reasons: list[str] | None = None,
    model: str = "gpt-4o-mini",
    agent: str = "support",
    prompt_version: str = "v1",
) -> dict[str, str]:
    """A completed turn pushed by a platform, rated by its user; the ids involved."""
    session_id = await harness.new_session(agent_id=agent)
    task_id = await harness.completed_task(
        session_id, "How do I reset my password?", model=model, prompt_version=prompt_version
    )
    body: dict[str, Any] = {"taskId": task_id, "sessionId": session_id, "feedbackType": rating}
    if comment is not None:
        body["feedbackText"] = comment
    if reasons is not None:
        body["reasons"] = reasons
    response = await harness.client.post("/api/v1/feedback", json=body)
    assert response.status_code == 202, response.text
    return {"session_id": session_id, "task_id": task_id, "id": response.json()["id"]}


async def stream_status(harness: Harness, path: str, **headers: str) -> int:
    """The status an endless response (an event stream) starts with; the client then leaves.
    (httpx's ASGITransport would wait for the end of the body, which never comes.)"""
    loop = asyncio.get_running_loop()
    status: asyncio.Future[int] = loop.create_future()
    gone = asyncio.Event()
    request_sent = False

    async def receive() -> dict[str, Any]:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and not status.done():
            status.set_result(message["status"])

    path_only, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "server": ("testserver", 80), "client": ("127.0.0.1", 50000),
        "root_path": "", "path": path_only, "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream")]
        + [(name.encode(), value.encode()) for name, value in headers.items()],
    }  # fmt: skip
    running = asyncio.ensure_future(harness.asgi(scope, receive, send))
    try:
        await asyncio.wait({status, running}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if running.done() and running.exception() is not None:
            raise AssertionError(f"{path} failed") from running.exception()
        assert status.done(), f"{path} started no response within 10 s"
        return status.result()
    finally:
        gone.set()
        await asyncio.wait_for(running, timeout=10)
