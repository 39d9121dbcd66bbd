"""An end-user token is never a platform credential, on any dialect (issue 17, §1).

Token mode with every dialect on: Alice holds widget tokens (one for all her chats, one
limited to a chat with `sid`); Bob owns a chat with a completed turn. Alice tries every
dialect's platform door with her tokens on Bob's ids.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
import pytest

from tests.support.dialects import (
    AGENTSIGHT_KEY,
    OPERATOR,
    OPERATOR_KEY,
    TOKEN_SECRET,
    VOLT_PUBLIC,
    dialect_options,
)
from tests.support.harness import Harness, HarnessFactory

READER_KEY = "reader-key-0123456789"
PUSHER_KEY = "pusher-key-0123456789"
AGENTSIGHT_DOORS = [
    ("/compat/agentsight/api/feedbacks/", "message"),
    ("/compat/agentsight/api/feedbacks/", "conversation"),
    ("/compat/agentsight/api/conversation-feedbacks/", None),
]
REFUSED = (
    401,
    "invalid_credentials",
    "Authentication credentials were not provided or are invalid: send Api-Key <SDK key>, "
    "or Bearer <an API key with the feedback:write scope>.",
)


def mint(sub: str, **claims: Any) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 300, **claims}, TOKEN_SECRET, "HS256")


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def harness(make_harness: HarnessFactory, database: str) -> Harness:
    options = dialect_options()
    options["auth"] = {
        **options["auth"],
        "mode": "token",
        "api_keys": [
            *options["auth"]["api_keys"],
            {"name": "reader", "key": READER_KEY, "scopes": ["feedback:read:all"]},
            {"name": "pusher", "key": PUSHER_KEY, "scopes": ["transcripts:write"]},
        ],
    }
    return await make_harness(database_url=database, **options)


async def chat_of(harness: Harness, user: str, name: str) -> tuple[str, str]:
    """A chat of `user` with one completed turn, both named after `name`: (session, task)."""
    session = await harness.client.post(
        "/api/v1/sessions", json={"id": f"{name}-chat", "user_id": user}, headers=OPERATOR
    )
    assert session.status_code == 201, session.text
    task = await harness.client.post(
        f"/api/v1/sessions/{name}-chat/tasks",
        json={"id": f"{name}-task", "request_text": "q", "status": "completed",
              "response_text": "a", "trace_id": f"{name}-trace"},
        headers=OPERATOR,
    )  # fmt: skip
    assert task.status_code == 201, task.text
    return f"{name}-chat", f"{name}-task"


def sentiment_body(kind: str | None, session_id: str, task_id: str) -> dict[str, Any]:
    if kind == "message":
        return {"kind": "message", "message_id": task_id, "sentiment": "negative"}
    body = {"conversation_id": session_id, "sentiment": "negative"}
    return {**body, "kind": kind} if kind else body


def answer(response: httpx.Response) -> tuple[int, str | None, str | None]:
    body = response.json()
    return response.status_code, body.get("code"), body.get("detail")


async def stored(harness: Harness) -> list[dict[str, Any]]:
    listed = await harness.client.get("/api/v1/feedback", headers=OPERATOR)
    assert listed.status_code == 200, listed.text
    rows: list[dict[str, Any]] = listed.json()
    return rows


async def test_a_widget_token_is_not_agentsights_platform_credential(harness: Harness) -> None:
    alices_chat, _ = await chat_of(harness, "alice", "alice")
    bobs_chat, bobs_task = await chat_of(harness, "bob", "bob")
    credentials = {
        "widget token": mint("alice"),
        "sid token": mint("alice", sid=alices_chat),
        "bob's own token": mint("bob"),
        "garbage": "not-a-credential",
        "key without feedback:write": READER_KEY,
        "agentsight sdk key as bearer": AGENTSIGHT_KEY,
    }
    answers = {}
    for name, credential in credentials.items():
        for path, kind in AGENTSIGHT_DOORS:
            response = await harness.client.post(
                path, json=sentiment_body(kind, bobs_chat, bobs_task), headers=bearer(credential)
            )
            answers[name, path, kind] = answer(response)
        me = await harness.client.get("/compat/agentsight/api/me/", headers=bearer(credential))
        answers[name, "me", None] = answer(me)
    assert answers == dict.fromkeys(answers, REFUSED)
    assert await stored(harness) == []

    # Bob's own Like still goes through, through SAM's API and the widget alike.
    liked = await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": bobs_task, "sessionId": bobs_chat, "feedbackType": "up"},
        headers=bearer(mint("bob")),
    )
    assert liked.status_code == 202, liked.text
    second_task = await harness.client.post(
        f"/api/v1/sessions/{bobs_chat}/tasks",
        json={"request_text": "q2", "status": "completed", "response_text": "a2"},
        headers=OPERATOR,
    )
    widget_like = await harness.client.post(
        f"/chat/{bobs_chat}/feedback",
        data={"task_id": second_task.json()["id"], "rating": "up"},
        headers={**bearer(mint("bob")), "HX-Request": "true"},
    )
    assert widget_like.status_code == 204, widget_like.text
    rows = await stored(harness)
    assert sorted((row["user_id"], row["source"], row["via"]) for row in rows) == [
        ("bob", "customer", "api"),
        ("bob", "customer", "widget"),
    ]


async def test_an_operator_key_with_feedback_write_is_the_platform(harness: Harness) -> None:
    bobs_chat, bobs_task = await chat_of(harness, "bob", "bob")
    for path, kind in AGENTSIGHT_DOORS[:2]:
        response = await harness.client.post(
            path, json=sentiment_body(kind, bobs_chat, bobs_task), headers=bearer(OPERATOR_KEY)
        )
        assert response.status_code == 201, response.text
        assert response.json()["source"] == "platform"
    me = await harness.client.get("/compat/agentsight/api/me/", headers=bearer(OPERATOR_KEY))
    assert me.status_code == 200
    rows = await stored(harness)
    assert sorted((row["target"]["kind"], row["source"]) for row in rows) == [
        ("session", "platform"),
        ("task", "platform"),
    ]


async def test_no_dialect_takes_a_widget_token_or_an_operator_key(harness: Harness) -> None:
    """The audit of the other three dialects: each takes its own server-side credential in its
    own header and nothing else. A widget token, a `sid` token or one of our API keys, in any
    of their headers or as Bearer, is their 401, and nothing is stored."""
    alices_chat, _ = await chat_of(harness, "alice", "alice")
    bobs_chat, bobs_task = await chat_of(harness, "bob", "bob")
    doors: list[tuple[str, dict[str, Any], list[str]]] = [
        ("/compat/trodo/api/sdk/batch",
         {"items": [{"run_id": bobs_task, "feedback": {"satisfaction": "negative"}}]},
         ["X-Trodo-Site-Id", "Authorization"]),
        (f"/compat/trodo/api/sdk/runs/{bobs_task}/feedback", {"satisfaction": "negative"},
         ["X-Trodo-Site-Id", "Authorization"]),
        ("/compat/trodo/api/sdk/track-agent",
         {"event_type": "feedback", "message_id": bobs_task, "feedback": "negative"},
         ["X-Trodo-Site-Id", "Authorization"]),
        ("/compat/portkey/v1/feedback", {"trace_id": "bob-trace", "value": -10},
         ["x-portkey-api-key", "Authorization"]),
        ("/compat/voltagent/api/public/feedback",
         {"trace_id": "bob-trace", "key": "thumbs", "score": 0},
         ["X-Secret-Key", "Authorization"]),
        ("/compat/voltagent/api/public/feedback/tokens",
         {"trace_id": "bob-trace", "feedback_key": "thumbs"}, ["X-Secret-Key", "Authorization"]),
        ("/compat/agentsight/api/feedbacks/",
         {"kind": "conversation", "conversation_id": bobs_chat, "sentiment": "negative"},
         ["Authorization", "X-API-Key"]),
    ]  # fmt: skip
    credentials = {
        "widget token": mint("alice"),
        "sid token": mint("alice", sid=alices_chat),
        "operator key": OPERATOR_KEY,
    }
    answers = {}
    for path, body, slots in doors:
        for name, credential in credentials.items():
            for slot in slots:
                value = credential
                if slot == "Authorization":
                    # AgentSight's SDK scheme; elsewhere the usual Bearer.
                    scheme = "Api-Key" if "agentsight" in path else "Bearer"
                    value = f"{scheme} {credential}"
                headers = {slot: value}
                if slot == "X-Secret-Key":
                    headers["X-Public-Key"] = VOLT_PUBLIC
                response = await harness.client.post(path, json=body, headers=headers)
                answers[path, name, slot] = (response.status_code, response.json()["code"])
    assert answers == dict.fromkeys(answers, (401, "invalid_credentials"))
    assert await stored(harness) == []
