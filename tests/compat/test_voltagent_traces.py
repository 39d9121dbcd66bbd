"""What VoltAgent's Agent relies on, found by driving it as an attacker would: links whose source
the issuer fixes, feedback for a trace whose task arrives later; and a sid token's reach."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from bs4 import BeautifulSoup

from app.feedback.events import FeedbackSubmitted
from tests.support.dialects import OPERATOR, VOLT_PUBLIC, VOLT_SECRET, dialect_options
from tests.support.harness import Harness, HarnessFactory

SECRET = "holes-secret-" + "h" * 40
PUSH = {"X-API-Key": "push-key-0123456789"}
ADMIN = {"X-API-Key": "admin-key-0123456789"}
VOLT = {"X-Public-Key": VOLT_PUBLIC, "X-Secret-Key": VOLT_SECRET}


def mint(sub: str = "alice", **claims: Any) -> str:
    return jwt.encode({"sub": sub, "exp": int(time.time()) + 300, **claims}, SECRET, "HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    keys = [
        {"name": "push", "key": PUSH["X-API-Key"], "scopes": ["transcripts:write"]},
        {"name": "admin", "key": ADMIN["X-API-Key"], "scopes": ["feedback:read:all"]},
    ]
    return await make_harness(auth={"mode": "token", "secret": SECRET, "api_keys": keys})


async def chat_with_feedback(harness: Harness, session_id: str, title: str) -> str:
    """A chat of Alice's with one rated turn; the turn's text is also the chat's title."""
    pushed = await harness.client.post(
        "/api/v1/sessions",
        json={"id": session_id, "user_id": "alice", "title": title},
        headers=PUSH,
    )
    assert pushed.status_code == 201, pushed.text
    task = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": title, "status": "completed", "response_text": "ok"},
        headers=PUSH,
    )
    rated = await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": task.json()["id"], "sessionId": session_id, "feedbackType": "down",
              "feedbackText": f"secret about {title}"},
        headers=bearer(mint()),
    )  # fmt: skip
    assert rated.status_code == 202, rated.text
    task_id: str = task.json()["id"]
    return task_id


# --- 1. A token with `sid` sees nothing outside its chat ---------------------------------------


async def test_a_sid_token_reads_only_its_own_chat_everywhere(harness: Harness) -> None:
    await chat_with_feedback(harness, "chat-a", "about the invoice")
    other_task = await chat_with_feedback(harness, "chat-a2", "my medical question")
    limited = bearer(mint(sid="chat-a"))

    listing = await harness.client.get("/api/v1/feedback", headers=limited)
    assert [row["session_id"] for row in listing.json()] == ["chat-a"]
    assert listing.headers["X-Total-Count"] == "1"
    refused = await harness.client.get("/api/v1/feedback", params={"session_id": "chat-a2"},
                                   headers=limited)  # fmt: skip
    assert (refused.status_code, refused.json()["code"]) == (403, "session_not_allowed")
    # A task of another chat does not exist for the link, like an unknown task.
    hidden = await harness.client.get("/api/v1/feedback", params={"task_id": other_task},
                                  headers=limited)  # fmt: skip
    assert (hidden.status_code, hidden.json()["code"]) == (404, "task_not_found")
    summary = await harness.client.get("/api/v1/feedback/summary", headers=limited)
    assert [(k["key"], k["count"]) for k in summary.json()["keys"]] == [("thumbs", 1)]
    assert (await harness.client.get("/api/v1/me", headers=limited)).json()[
        "session_id"
    ] == "chat-a"

    page = await harness.client.get("/", params={"token": mint(sid="chat-a")})
    listed = BeautifulSoup(page.text, "html.parser").select("[data-session-id]")
    assert [a["data-session-id"] for a in listed] == ["chat-a"]
    assert "medical" not in page.text
    # The same user without a sid still sees both chats.
    both = await harness.client.get("/api/v1/feedback", headers=bearer(mint()))
    assert both.headers["X-Total-Count"] == "2"


# --- 2. The link decides a link answer's source ----------------------------------------------


@pytest.fixture
async def dialects(make_harness: HarnessFactory) -> Harness:
    return await make_harness(**dialect_options())


async def pushed_task(harness: Harness, trace_id: str, **task: Any) -> tuple[str, str]:
    session = await harness.client.post(
        "/api/v1/sessions", json={"user_id": "dev_user"}, headers=OPERATOR
    )
    body = {"request_text": "Q", "status": "completed", "response_text": "A", "trace_id": trace_id}
    created = await harness.client.post(
        f"/api/v1/sessions/{session.json()['id']}/tasks", json={**body, **task}, headers=OPERATOR
    )
    assert created.status_code == 201, created.text
    return session.json()["id"], created.json()["id"]


async def stored(harness: Harness, feedback_id: str) -> dict[str, Any]:
    rows = (await harness.client.get("/api/v1/feedback", headers=OPERATOR)).json()
    (row,) = [row for row in rows if row["id"] == feedback_id]
    return dict(row)


async def test_an_answer_body_cannot_change_the_source_of_a_link(dialects: Harness) -> None:
    await pushed_task(dialects, "tr-src")
    link = await dialects.client.post(
        "/api/v1/feedback/tokens", json={"task_id": "tr-src"}, headers=OPERATOR
    )
    url = link.json()["url"]
    refused = await dialects.client.post(
        url, json={"rating": "up", "feedback_source_type": "model"}
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "source_fixed_by_link")
    answered = await dialects.client.post(url, json={"rating": "up", "feedback_source_type": "app"})
    assert answered.status_code == 201, answered.text
    assert (await stored(dialects, answered.json()["id"]))["source"] == "customer"


async def test_the_issuer_asks_for_a_model_link_when_it_creates_it(dialects: Harness) -> None:
    await pushed_task(dialects, "tr-model")
    link = await dialects.client.post(
        "/api/v1/feedback/tokens",
        json={"task_id": "tr-model", "key": "grade", "source": "model",
              "feedback_config": {"type": "continuous", "min": 0, "max": 1}},
        headers=OPERATOR,
    )  # fmt: skip
    assert (link.status_code, link.json()["source"]) == (201, "model")
    answered = await dialects.client.post(link.json()["url"], json={"score": 0.75})
    assert answered.status_code == 201, answered.text
    assert (await stored(dialects, answered.json()["id"]))["source"] == "model"


# --- 3. VoltAgent's Agent: a token for a trace not seen yet ------------------------------------


async def test_a_token_for_an_unseen_trace_attaches_when_the_task_arrives(
    dialects: Harness,
) -> None:
    trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    token = await dialects.client.post(
        "/compat/voltagent/api/public/feedback/tokens",
        json={"trace_id": trace, "feedback_key": "satisfaction", "feedback_config": None},
        headers=VOLT,
    )
    assert token.status_code == 201, token.text
    answer = await dialects.client.post(
        token.json()["url"],
        json={"score": 1, "comment": "Great", "feedback_source_type": "app"},
    )
    assert answer.status_code == 201, answer.text
    pending = await stored(dialects, answer.json()["id"])
    assert (pending["target"], pending["task_id"], pending["session_id"]) == (
        {"kind": "trace", "id": trace},
        None,
        None,
    )
    assert (await dialects.client.get(token.json()["url"])).json()["provided"] is True

    session_id, task_id = await pushed_task(dialects, trace)
    attached = await stored(dialects, answer.json()["id"])
    assert (attached["target"], attached["task_id"], attached["session_id"]) == (
        {"kind": "task", "id": task_id},
        task_id,
        session_id,
    )
    assert (attached["user_id"], attached["label"], attached["source"]) == (
        "dev_user",
        "Satisfied",
        "customer",
    )
    tasks = await dialects.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)
    state = tasks.json()[0]["taskMetadata"]["feedback"]
    assert (state["provided"], state["feedbackId"]) == (True, answer.json()["id"])
    # Open pages hear of it, after the task itself.
    events = [e for e in dialects.events if isinstance(e, FeedbackSubmitted)]
    assert events[-1].task is not None and events[-1].feedback.marks_task
    page = BeautifulSoup((await dialects.client.get(f"/chat/{session_id}")).text, "html.parser")
    controls = page.select_one(f"#controls-{task_id}")
    assert controls is not None and controls["data-state"] == "submitted"


async def test_a_direct_create_for_an_unseen_trace_waits_for_its_task(dialects: Harness) -> None:
    trace = "0123456789abcdef0123456789abcdef"
    created = await dialects.client.post(
        "/compat/voltagent/api/public/feedback",
        json={
            "trace_id": trace,
            "key": "satisfaction",
            "score": 0,
            "feedback_source_type": "model",
        },
        headers=VOLT,
    )
    assert created.status_code == 201, created.text
    assert (await stored(dialects, created.json()["id"]))["target"]["kind"] == "trace"
    _, task_id = await pushed_task(dialects, trace)
    row = await stored(dialects, created.json()["id"])
    assert (row["task_id"], row["source"], row["label"]) == (task_id, "model", "Unsatisfied")


# --- 4. The API says what it does ------------------------------------------------------------


async def test_the_json_api_takes_credentials_in_headers_only(harness: Harness) -> None:
    refused = await harness.client.get("/api/v1/me", params={"token": mint()})
    assert (refused.status_code, refused.json()["code"]) == (400, "credentials_in_url")
    assert (await harness.client.get("/api/v1/me", headers=bearer(mint()))).status_code == 200
    # Widget URLs still take it: pages and the event stream cannot send headers.
    assert (await harness.client.get("/", params={"token": mint()})).status_code == 200
