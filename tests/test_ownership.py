"""Someone else's ids answer exactly like ids that do not exist, on every door (issue 17, §1).

Token mode, every dialect on. Alice holds a widget token (and, as a variant, one limited to
her chat with `sid`). For each door that takes an id, Alice's answer for Bob's real ids is
compared with her answer for ids nobody has: same status, same code, same words (with the id
masked). For the `sid` token, her own other chat is as foreign as Bob's. A control shows each
door does look the id up: Alice's answer for her own ids differs from the unknown one.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import pytest
from bs4 import BeautifulSoup

from tests.conftest import Harness, HarnessFactory
from tests.dialects import (
    OPERATOR,
    TOKEN_SECRET,
    VOLT_PUBLIC,
    dialect_options,
)

Send = Callable[[httpx.AsyncClient, str, str, str], Awaitable[httpx.Response]]
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


def htmx(token: str) -> dict[str, str]:
    return {**bearer(token), "HX-Request": "true"}


@dataclass(frozen=True)
class Door:
    name: str
    send: Send  # (client, token, session id, task id) -> the answer
    # Refused whatever the id (a scope or credential the caller lacks): no control.
    refused_before_lookup: bool = False
    # An own id opens something endless (an event stream): no control in process.
    no_control: bool = False


def listing(path: str, param: str) -> Send:
    async def send(client: httpx.AsyncClient, token: str, session: str, task: str) -> Any:
        value = task if param == "task_id" else session
        return await client.get(path, params={param: value}, headers=bearer(token))

    return send


async def sam_feedback(client: httpx.AsyncClient, token: str, session: str, task: str) -> Any:
    body = {"taskId": task, "sessionId": session, "feedbackType": "down"}
    return await client.post("/api/v1/feedback", json=body, headers=bearer(token))


async def sam_feedback_own_chat(
    client: httpx.AsyncClient, token: str, session: str, task: str
) -> Any:
    body = {"taskId": task, "sessionId": "alice-chat", "feedbackType": "down"}
    return await client.post("/api/v1/feedback", json=body, headers=bearer(token))


async def sam_feedback_own_task(
    client: httpx.AsyncClient, token: str, session: str, task: str
) -> Any:
    body = {"taskId": "alice-task", "sessionId": session, "feedbackType": "down"}
    return await client.post("/api/v1/feedback", json=body, headers=bearer(token))


def get(path: str, *, query_token: bool = False, hx: bool = False, **params: str) -> Send:
    """A GET of `path` formatted with {session} and {task}; params likewise."""

    async def send(client: httpx.AsyncClient, token: str, session: str, task: str) -> Any:
        values = {k: v.format(session=session, task=task) for k, v in params.items()}
        if query_token:
            values["token"] = token
        headers = htmx(token) if hx else ({} if query_token else bearer(token))
        return await client.get(
            path.format(session=session, task=task), params=values, headers=headers
        )

    return send


def post(
    path: str,
    *,
    form: dict[str, str] | None = None,
    json: Any = None,
    headers: Callable[[str], dict[str, str]] = htmx,
) -> Send:
    """A POST of `path`, its form or JSON body, all formatted with {session} and {task}."""

    def fill(value: Any, session: str, task: str) -> Any:
        if isinstance(value, str):
            return value.format(session=session, task=task)
        if isinstance(value, dict):
            return {k: fill(v, session, task) for k, v in value.items()}
        return value

    async def send(client: httpx.AsyncClient, token: str, session: str, task: str) -> Any:
        url = path.format(session=session, task=task)
        if json is not None:
            return await client.post(url, json=fill(json, session, task), headers=headers(token))
        return await client.post(url, data=fill(form or {}, session, task), headers=headers(token))

    return send


def patch(path: str, body: dict[str, Any]) -> Send:
    async def send(client: httpx.AsyncClient, token: str, session: str, task: str) -> Any:
        return await client.patch(path.format(task=task), json=body, headers=bearer(token))

    return send


def as_header(name: str) -> Callable[[str], dict[str, str]]:
    return lambda token: {name: token}


DOORS = [
    # SAM's API and its filters
    Door("GET /api/v1/feedback?task_id", listing("/api/v1/feedback", "task_id")),
    Door("GET /api/v1/feedback?session_id", listing("/api/v1/feedback", "session_id")),
    Door("GET summary?task_id", listing("/api/v1/feedback/summary", "task_id")),
    Door("GET summary?session_id", listing("/api/v1/feedback/summary", "session_id")),
    Door("GET export?task_id", listing("/api/v1/feedback/export", "task_id")),
    Door("GET export?session_id", listing("/api/v1/feedback/export", "session_id")),
    Door("POST /api/v1/feedback", sam_feedback),
    Door("POST /api/v1/feedback in own chat", sam_feedback_own_chat),
    Door("POST /api/v1/feedback own task", sam_feedback_own_task),
    # the push API's reads, and its writes (end users may not push at all)
    Door("GET transcript", get("/api/v1/sessions/{session}/tasks")),
    Door(
        "GET transcript before",
        get("/api/v1/sessions/alice-chat/tasks", limit="5", before="{task}"),
    ),
    Door(
        "POST session",
        post("/api/v1/sessions", json={"id": "{session}"}, headers=bearer),
        refused_before_lookup=True,
    ),
    Door(
        "POST task",
        post("/api/v1/sessions/{session}/tasks", json={"request_text": "x"}, headers=bearer),
        refused_before_lookup=True,
    ),
    Door(
        "PATCH task",
        patch("/api/v1/tasks/{task}", {"append_text": "x"}),
        refused_before_lookup=True,
    ),
    Door(
        "POST task event",
        post(
            "/api/v1/tasks/{task}/events",
            json={"direction": "request", "payload": {}},
            headers=bearer,
        ),
        refused_before_lookup=True,
    ),
    Door(
        "POST feedback link",
        post("/api/v1/feedback/tokens", json={"task_id": "{task}"}, headers=bearer),
        refused_before_lookup=True,
    ),
    # the widget
    Door("GET /chat", get("/chat/{session}", query_token=True)),
    Door("GET /embed", get("/embed/{session}", query_token=True)),
    Door("GET events", get("/chat/{session}/events", query_token=True), no_control=True),
    Door("GET earlier", get("/chat/{session}/earlier", hx=True)),
    Door("GET earlier before", get("/chat/alice-chat/earlier", hx=True, before="{task}")),
    Door("GET /chat before", get("/chat/alice-chat", query_token=True, before="{task}")),
    Door("POST message", post("/chat/{session}/messages", form={"message": "hi"})),
    Door(
        "POST widget feedback",
        post("/chat/{session}/feedback", form={"task_id": "{task}", "rating": "up"}),
    ),
    Door(
        "POST widget feedback own chat",
        post("/chat/alice-chat/feedback", form={"task_id": "{task}", "rating": "up"}),
    ),
    Door("POST stop", post("/chat/{session}/tasks/{task}/stop")),
    Door("POST stop own chat", post("/chat/alice-chat/tasks/{task}/stop")),
    Door("POST retry", post("/chat/{session}/tasks/{task}/retry")),
    Door("POST retry own chat", post("/chat/alice-chat/tasks/{task}/retry")),
    # the dialects: a widget token is none of their credentials
    Door(
        "AgentSight message",
        post(
            "/compat/agentsight/api/feedbacks/",
            headers=bearer,
            json={"kind": "message", "message_id": "{task}", "sentiment": "negative"},
        ),
        refused_before_lookup=True,
    ),
    Door(
        "AgentSight conversation",
        post(
            "/compat/agentsight/api/feedbacks/",
            headers=bearer,
            json={"kind": "conversation", "conversation_id": "{session}", "sentiment": "negative"},
        ),
        refused_before_lookup=True,
    ),
    Door(
        "AgentSight 0.0.x",
        post(
            "/compat/agentsight/api/conversation-feedbacks/",
            headers=bearer,
            json={"conversation_id": "{session}", "sentiment": "negative"},
        ),
        refused_before_lookup=True,
    ),
    Door(
        "Trodo as site id",
        post(
            "/compat/trodo/api/sdk/runs/{task}/feedback",
            headers=as_header("X-Trodo-Site-Id"),
            json={"satisfaction": "negative"},
        ),
        refused_before_lookup=True,
    ),
    Door(
        "Trodo as bearer",
        post(
            "/compat/trodo/api/sdk/runs/{task}/feedback",
            headers=bearer,
            json={"satisfaction": "negative"},
        ),
        refused_before_lookup=True,
    ),
    Door(
        "Portkey as key",
        post(
            "/compat/portkey/v1/feedback",
            json={"trace_id": "{task}", "value": -10},
            headers=as_header("x-portkey-api-key"),
        ),
        refused_before_lookup=True,
    ),
    Door(
        "Portkey as bearer",
        post(
            "/compat/portkey/v1/feedback", headers=bearer, json={"trace_id": "{task}", "value": -10}
        ),
        refused_before_lookup=True,
    ),
    Door(
        "VoltAgent as secret key",
        post(
            "/compat/voltagent/api/public/feedback",
            json={"trace_id": "{task}", "key": "thumbs", "score": 0},
            headers=lambda token: {"X-Public-Key": VOLT_PUBLIC, "X-Secret-Key": token},
        ),
        refused_before_lookup=True,
    ),
    Door(
        "VoltAgent as bearer",
        post(
            "/compat/voltagent/api/public/feedback",
            headers=bearer,
            json={"trace_id": "{task}", "key": "thumbs", "score": 0},
        ),
        refused_before_lookup=True,
    ),
]


@pytest.fixture
async def app(make_harness: HarnessFactory) -> Harness:
    return await make_harness(**token_mode())


def token_mode() -> dict[str, Any]:
    options = dialect_options()
    options["auth"] = {**options["auth"], "mode": "token"}
    return options


async def seed(app: Harness) -> None:
    """Alice's chat (with her Like) and another of hers; Bob's chat with a rated turn."""
    for user, chat, task in (
        ("alice", "alice-chat", "alice-task"),
        ("alice", "alice-other-chat", "alice-other-task"),
        ("bob", "bob-chat", "bob-task"),
    ):
        created = await app.client.post(
            "/api/v1/sessions", json={"id": chat, "user_id": user}, headers=OPERATOR
        )
        assert created.status_code == 201, created.text
        pushed = await app.client.post(
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
        rated = await app.client.post(
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


async def answers(app: Harness, door: Door, token: str, ids: tuple[str, str]) -> tuple[Any, ...]:
    return seen(await door.send(app.client, token, *ids), *ids)


async def check_door(app: Harness, door: Door, variant: str) -> None:
    token = mint(sid="alice-chat") if variant == "sid token" else mint()
    unknown = await answers(app, door, token, UNKNOWN)
    for ids in FOREIGN[variant]:
        foreign = await answers(app, door, token, ids)
        assert foreign == unknown, (door.name, variant, ids, foreign, unknown)
    if not (door.refused_before_lookup or door.no_control):
        own = await answers(app, door, token, OWN)
        assert own != unknown, (door.name, "the control: own ids must be found", own)


@pytest.mark.parametrize("variant", ["token", "sid token"])
@pytest.mark.parametrize("door", DOORS, ids=[door.name for door in DOORS])
async def test_foreign_ids_answer_like_unknown_ones(app: Harness, door: Door, variant: str) -> None:
    await seed(app)
    before = await everything_of_bob(app)
    await check_door(app, door, variant)
    assert await everything_of_bob(app) == before


async def everything_of_bob(app: Harness) -> tuple[Any, ...]:
    transcript = await app.client.get("/api/v1/sessions/bob-chat/tasks", headers=OPERATOR)
    listed = await app.client.get("/api/v1/feedback", headers=OPERATOR)
    return transcript.json(), listed.json()


@pytest.mark.postgres
async def test_every_door_on_postgres(make_harness: HarnessFactory, postgres_url: str) -> None:
    app = await make_harness(database_url=postgres_url, **token_mode())
    await seed(app)
    before = await everything_of_bob(app)
    for door in DOORS:
        for variant in FOREIGN:
            await check_door(app, door, variant)
    assert await everything_of_bob(app) == before
