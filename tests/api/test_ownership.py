"""Someone else's ids answer exactly like ids that do not exist, on every door (issue 17, §1).

Token mode, every dialect on. Alice holds a widget token (and, as a variant, one limited to
her chat with `sid`). For each door that takes an id, Alice's answer for Bob's real ids is
compared with her answer for ids nobody has: same status, same code, same words (with the id
masked). For the `sid` token, her own other chat is as foreign as Bob's. A control shows each
door does look the id up: Alice's answer for her own ids differs from the unknown one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from bs4 import BeautifulSoup

from tests.support.dialects import (
    OPERATOR,
    TOKEN_SECRET,
    VOLT_PUBLIC,
    dialect_options,
)
from tests.support.harness import Harness, HarnessFactory

UNKNOWN = ("nobody-chat", "nobody-task")
OWN = ("alice-chat", "alice-task")
FOREIGN = {
    "token": [("bob-chat", "bob-task"), ("bob-chat", "bob-trace")],
    "sid token": [
        ("bob-chat", "bob-task"),
        ("bob-chat", "bob-trace"),
        ("alice-other-chat", "alice-other-task"),
    ],
}


def mint(**claims: Any) -> str:
    payload = {"sub": "alice", "exp": int(time.time()) + 300} | claims
    return jwt.encode(payload, TOKEN_SECRET, "HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Door:
    """One request; `{session}` and `{task}` in its path and payload take the ids tried."""

    name: str
    method: str
    path: str
    # Where the token goes: "bearer", "htmx" (bearer, as htmx sends it), "query", or the
    # name of a header (a dialect's own credential header).
    slot: str = "bearer"
    json: Any = None
    form: dict[str, str] | None = None
    params: dict[str, str] | None = None
    # False where the answer cannot depend on the id (a scope or credential the caller
    # lacks), or where an own id opens an endless event stream.
    control: bool = True


TASK_BODY = {"taskId": "{task}", "sessionId": "{session}", "feedbackType": "down"}
SENTIMENT = {"sentiment": "negative"}
DOORS = [
    # SAM's API: the listing, the summary and the export with their filters, and feedback
    *(
        Door(f"GET {path}?{name}", "GET", path, params={name: value})
        for path in ("/api/v1/feedback", "/api/v1/feedback/summary", "/api/v1/feedback/export")
        for name, value in (("task_id", "{task}"), ("session_id", "{session}"))
    ),
    Door("POST feedback", "POST", "/api/v1/feedback", json=TASK_BODY),
    Door("POST feedback own chat", "POST", "/api/v1/feedback",
         json={**TASK_BODY, "sessionId": "alice-chat"}),
    Door("POST feedback own task", "POST", "/api/v1/feedback",
         json={**TASK_BODY, "taskId": "alice-task"}),
    # the push API: its reads, and its writes (no end user may push at all)
    Door("GET transcript", "GET", "/api/v1/sessions/{session}/tasks"),
    Door("GET transcript before", "GET", "/api/v1/sessions/alice-chat/tasks",
         params={"limit": "5", "before": "{task}"}),
    Door("POST session", "POST", "/api/v1/sessions", json={"id": "{session}"}, control=False),
    Door("POST task", "POST", "/api/v1/sessions/{session}/tasks", json={"request_text": "x"},
         control=False),
    Door("PATCH task", "PATCH", "/api/v1/tasks/{task}", json={"append_text": "x"},
         control=False),
    Door("POST task event", "POST", "/api/v1/tasks/{task}/events",
         json={"direction": "request", "payload": {}}, control=False),
    Door("POST feedback link", "POST", "/api/v1/feedback/tokens", json={"task_id": "{task}"},
         control=False),
    # the widget
    Door("GET chat", "GET", "/chat/{session}", "query"),
    Door("GET embed", "GET", "/embed/{session}", "query"),
    Door("GET events", "GET", "/chat/{session}/events", "query", control=False),
    Door("GET earlier", "GET", "/chat/{session}/earlier", "htmx"),
    Door("GET earlier before", "GET", "/chat/alice-chat/earlier", "htmx",
         params={"before": "{task}"}),
    Door("GET chat before", "GET", "/chat/alice-chat", "query", params={"before": "{task}"}),
    Door("POST message", "POST", "/chat/{session}/messages", "htmx", form={"message": "hi"}),
    Door("POST widget feedback", "POST", "/chat/{session}/feedback", "htmx",
         form={"task_id": "{task}", "rating": "up"}),
    Door("POST widget feedback own chat", "POST", "/chat/alice-chat/feedback", "htmx",
         form={"task_id": "{task}", "rating": "up"}),
    Door("POST stop", "POST", "/chat/{session}/tasks/{task}/stop", "htmx"),
    Door("POST stop own chat", "POST", "/chat/alice-chat/tasks/{task}/stop", "htmx"),
    Door("POST retry", "POST", "/chat/{session}/tasks/{task}/retry", "htmx"),
    Door("POST retry own chat", "POST", "/chat/alice-chat/tasks/{task}/retry", "htmx"),
    # the dialects: a widget token is none of their credentials, wherever it is put
    Door("AgentSight message", "POST", "/compat/agentsight/api/feedbacks/",
         json={"kind": "message", "message_id": "{task}", **SENTIMENT}, control=False),
    Door("AgentSight conversation", "POST", "/compat/agentsight/api/feedbacks/",
         json={"kind": "conversation", "conversation_id": "{session}", **SENTIMENT},
         control=False),
    Door("AgentSight 0.0.x", "POST", "/compat/agentsight/api/conversation-feedbacks/",
         json={"conversation_id": "{session}", **SENTIMENT}, control=False),
    *(
        Door(f"Trodo in {slot}", "POST", "/compat/trodo/api/sdk/runs/{task}/feedback", slot,
             json={"satisfaction": "negative"}, control=False)
        for slot in ("X-Trodo-Site-Id", "bearer")
    ),
    *(
        Door(f"Portkey in {slot}", "POST", "/compat/portkey/v1/feedback", slot,
             json={"trace_id": "{task}", "value": -10}, control=False)
        for slot in ("x-portkey-api-key", "bearer")
    ),
    *(
        Door(f"VoltAgent in {slot}", "POST", "/compat/voltagent/api/public/feedback", slot,
             json={"trace_id": "{task}", "key": "thumbs", "score": 0}, control=False)
        for slot in ("X-Secret-Key", "bearer")
    ),
]  # fmt: skip


def fill(value: Any, session: str, task: str) -> Any:
    if isinstance(value, str):
        return value.format(session=session, task=task)
    if isinstance(value, dict):
        return {name: fill(one, session, task) for name, one in value.items()}
    return value


async def send(client: httpx.AsyncClient, door: Door, token: str, session: str, task: str) -> Any:
    params = fill(door.params or {}, session, task)
    headers = {}
    if door.slot in ("bearer", "htmx"):
        headers = bearer(token) | ({"HX-Request": "true"} if door.slot == "htmx" else {})
    elif door.slot == "query":
        params["token"] = token
    else:
        headers = {door.slot: token, "X-Public-Key": VOLT_PUBLIC}
    return await client.request(
        door.method,
        fill(door.path, session, task),
        params=params,
        headers=headers,
        json=fill(door.json, session, task),
        data=fill(door.form, session, task),
    )


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(**token_mode())


def token_mode() -> dict[str, Any]:
    options = dialect_options()
    options["auth"] = {**options["auth"], "mode": "token"}
    return options


async def seed(harness: Harness) -> None:
    """Alice's chat (with her Like) and another of hers; Bob's chat with a rated turn."""
    for user, chat, task in (
        ("alice", "alice-chat", "alice-task"),
        ("alice", "alice-other-chat", "alice-other-task"),
        ("bob", "bob-chat", "bob-task"),
    ):
        created = await harness.client.post(
            "/api/v1/sessions", json={"id": chat, "user_id": user}, headers=OPERATOR
        )
        assert created.status_code == 201, created.text
        pushed = await harness.client.post(
            f"/api/v1/sessions/{chat}/tasks",
            json={
                "id": task,
                "trace_id": task.replace("task", "trace"),
                "request_text": "q",
                "status": "completed",
                "response_text": "a",
            },
            headers=OPERATOR,
        )
        assert pushed.status_code == 201, pushed.text
        rated = await harness.client.post(
            "/api/v1/feedback",
            json={"taskId": task, "sessionId": chat, "feedbackType": "up"},
            headers=bearer(mint(sub=user)),
        )
        assert rated.status_code == 202, rated.text


def seen(response: httpx.Response, session: str, task: str) -> tuple[Any, ...]:
    """What the caller learns: status, code and words (or the body), with the ids masked."""

    def masked(text: str) -> str:
        return text.replace(task, "<task>").replace(session, "<session>")

    kind = response.headers.get("content-type", "")
    if kind.startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and "code" in body:
            return response.status_code, body["code"], masked(body["detail"])
        return response.status_code, masked(response.text), response.headers.get("x-total-count")
    if kind.startswith("text/html"):
        heading = BeautifulSoup(response.text, "html.parser").select_one("h1")
        return response.status_code, masked(heading.get_text() if heading else response.text)
    return response.status_code, masked(response.text)


async def answers(
    harness: Harness, door: Door, token: str, ids: tuple[str, str]
) -> tuple[Any, ...]:
    return seen(await send(harness.client, door, token, *ids), *ids)


async def check_door(harness: Harness, door: Door, variant: str) -> None:
    token = mint(sid="alice-chat") if variant == "sid token" else mint()
    unknown = await answers(harness, door, token, UNKNOWN)
    for ids in FOREIGN[variant]:
        foreign = await answers(harness, door, token, ids)
        assert foreign == unknown, (door.name, variant, ids, foreign, unknown)
    if door.control:
        own = await answers(harness, door, token, OWN)
        assert own != unknown, (door.name, "the control: own ids must be found", own)


@pytest.mark.parametrize("variant", ["token", "sid token"])
@pytest.mark.parametrize("door", DOORS, ids=[door.name for door in DOORS])
async def test_foreign_ids_answer_like_unknown_ones(
    harness: Harness, door: Door, variant: str
) -> None:
    await seed(harness)
    before = await everything_of_bob(harness)
    await check_door(harness, door, variant)
    assert await everything_of_bob(harness) == before


async def everything_of_bob(harness: Harness) -> tuple[Any, ...]:
    transcript = await harness.client.get("/api/v1/sessions/bob-chat/tasks", headers=OPERATOR)
    listed = await harness.client.get("/api/v1/feedback", headers=OPERATOR)
    return transcript.json(), listed.json()


@pytest.mark.postgres
async def test_every_door_on_postgres(make_harness: HarnessFactory, postgres_url: str) -> None:
    harness = await make_harness(database_url=postgres_url, **token_mode())
    await seed(harness)
    before = await everything_of_bob(harness)
    for door in DOORS:
        for variant in FOREIGN:
            await check_door(harness, door, variant)
    assert await everything_of_bob(harness) == before
