"""An app a reviewer works in through the JSON API: a reviewer key (`feedback:review`), a key
that may only read (`feedback:read:all`), end-user tokens; feedback given the way users give
it, and review actions sent as a client sends them."""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt

from tests.support.console import REASONS
from tests.support.harness import Harness, HarnessFactory

REVIEWER_KEY = "reviewer-key-0123456789"
READ_ALL_KEY = "read-all-key-0123456789"
PUSHER_KEY = "pusher-key-0123456789"
SECRET = "review-tests-secret-" + "x" * 40
REVIEWER = {"X-API-Key": REVIEWER_KEY}
READ_ALL = {"X-API-Key": READ_ALL_KEY}
PUSHER = {"X-API-Key": PUSHER_KEY}
KEYS = [
    {"name": "rita", "key": REVIEWER_KEY, "scopes": ["feedback:review", "feedback:read:all"]},
    {"name": "readers", "key": READ_ALL_KEY, "scopes": ["feedback:read:all"]},
    {"name": "platform", "key": PUSHER_KEY, "scopes": ["transcripts:write"]},
]


def review_config(**extra: Any) -> dict[str, Any]:
    """Token mode (end users sign in with a token), the three keys, reasons on the thumbs."""
    return {
        "auth": {"mode": "token", "secret": SECRET, "api_keys": KEYS},
        "feedback_reasons": REASONS,
        **extra,
    }


async def review_app(make_harness: HarnessFactory, **extra: Any) -> Harness:
    return await make_harness(**review_config(**extra))


def bearer(user: str, **claims: Any) -> dict[str, str]:
    token = jwt.encode({"sub": user, "exp": int(time.time()) + 300, **claims}, SECRET)
    return {"Authorization": f"Bearer {token}"}


async def rated(
    harness: Harness,
    rating: str,
    *,
    user: str = "ann",
    comment: str | None = None,
    request: str = "How do I reset my password?",
    response: str = "Open Settings.",
    agent: str = "support",
    user_headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """A completed turn pushed by the platform, rated by its user (with a token of theirs
    unless `user_headers` says otherwise): the ids involved."""
    client = harness.client
    chat = await client.post(
        "/api/v1/sessions", json={"user_id": user, "agent_id": agent}, headers=PUSHER
    )
    assert chat.status_code == 201, chat.text
    session_id = chat.json()["id"]
    task = await client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": request, "status": "completed", "response_text": response},
        headers=PUSHER,
    )
    assert task.status_code == 201, task.text
    body: dict[str, Any] = {
        "taskId": task.json()["id"],
        "sessionId": session_id,
        "feedbackType": rating,
    }
    if comment is not None:
        body["feedbackText"] = comment
    as_user = bearer(user) if user_headers is None else user_headers
    sent = await client.post("/api/v1/feedback", json=body, headers=as_user)
    assert sent.status_code == 202, sent.text
    return {"session_id": session_id, "task_id": task.json()["id"], "id": sent.json()["id"]}


async def send_review(
    client: httpx.AsyncClient,
    feedback_id: str,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    """A review action as `headers` say (the reviewer key unless they name another)."""
    return await client.post(
        f"/api/v1/feedback/{feedback_id}/review",
        json=body,
        headers=REVIEWER if headers is None else headers,
    )


async def reviewed(client: httpx.AsyncClient, feedback_id: str, **body: Any) -> dict[str, Any]:
    """Act on a feedback as the reviewer, naming the version it has now."""
    listed = await client.get("/api/v1/feedback", params={"page_size": 100}, headers=REVIEWER)
    (row,) = [row for row in listed.json() if row["id"] == feedback_id]
    answer = await send_review(client, feedback_id, version=row["review_version"], **body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result
