"""End-user tokens, API keys with scopes, and SAM's ownership rules."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.config import settings_from_mapping
from app.db.models import Feedback
from app.errors import ConfigError
from tests.support import config_dict
from tests.support.harness import Harness, HarnessFactory

SECRET = "s" * 64  # long enough that HS512 (the wrong-algorithm case) does not warn
KEYS = {
    "pusher": ("push-key-0123456789", ["transcripts:write"]),
    "writer": ("write-key-0123456789", ["feedback:write"]),
    "reader": ("read-key-0123456789", ["feedback:read"]),
    "admin": ("admin-key-0123456789", ["feedback:read:all"]),
}


def token(sub: str = "alice", *, ttl: int = 300, secret: str = SECRET, alg: str = "HS256",
          **claims: Any) -> str:  # fmt: skip
    payload = {"sub": sub, "exp": int(time.time()) + ttl, **claims}
    return jwt.encode(payload, secret, algorithm=alg)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def key(name: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[name][0]}


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    api_keys = [{"name": n, "key": k, "scopes": s} for n, (k, s) in KEYS.items()]
    return await make_harness(auth={"mode": "token", "secret": SECRET, "api_keys": api_keys})


async def session_for(harness: Harness, user: str, session_id: str | None = None) -> str:
    body: dict[str, Any] = {"user_id": user}
    if session_id:
        body["id"] = session_id
    response = await harness.client.post("/api/v1/sessions", json=body, headers=key("pusher"))
    assert response.status_code == 201, response.text
    created: str = response.json()["id"]
    return created


async def completed_task(harness: Harness, session_id: str) -> str:
    response = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": "q", "status": "completed", "response_text": "a"},
        headers=key("pusher"),
    )
    assert response.status_code == 201, response.text
    task_id: str = response.json()["id"]
    return task_id


async def feedback_as(harness: Harness, headers: dict[str, str], task_id: str, session_id: str,
                      **extra: Any) -> Any:  # fmt: skip
    body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "up", **extra}
    return await harness.client.post("/api/v1/feedback", json=body, headers=headers)


# --- tokens ---------------------------------------------------------------------------------


def tampered(value: str) -> str:
    head, body, signature = value.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


def unsigned(sub: str = "alice") -> str:
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    body = (
        base64.urlsafe_b64encode(json.dumps({"sub": sub, "exp": int(time.time()) + 300}).encode())
        .decode()
        .rstrip("=")
    )
    return f"{head}.{body}."


@pytest.mark.parametrize(
    "credential",
    [
        pytest.param(lambda: token(ttl=-10), id="expired"),
        pytest.param(lambda: tampered(token()), id="tampered"),
        pytest.param(lambda: token(alg="HS512"), id="wrong-algorithm"),
        pytest.param(unsigned, id="alg-none"),
        pytest.param(lambda: jwt.encode({"sub": "alice"}, SECRET, algorithm="HS256"), id="no-exp"),
        pytest.param(lambda: token(secret="x" * 64), id="other-secret"),
        pytest.param(lambda: "not-a-token", id="garbage"),
    ],
)
async def test_bad_tokens_are_refused_everywhere(harness: Harness, credential: Any) -> None:
    value = credential()
    session_id = await session_for(harness, "alice")
    api = await harness.client.get("/api/v1/feedback", headers=bearer(value))
    page = await harness.client.get(f"/chat/{session_id}", params={"token": value})
    htmx = await harness.client.post(
        f"/chat/{session_id}/messages",
        data={"message": "hi"},
        headers={**bearer(value), "HX-Request": "true"},
    )
    assert (api.status_code, page.status_code, htmx.status_code) == (401, 401, 401)
    assert api.json()["code"] == "unauthenticated"
    assert api.headers["WWW-Authenticate"] == "Bearer"
    heading = BeautifulSoup(page.text, "html.parser").select_one("h1")
    assert heading is not None and heading.text.startswith("This chat link has expired")
    assert "Traceback" not in page.text


async def test_no_credential_is_401_in_token_mode(harness: Harness) -> None:
    assert (await harness.client.get("/api/v1/feedback")).status_code == 401
    assert (await harness.client.get("/")).status_code == 401


async def test_valid_token_works_for_page_htmx_and_api(harness: Harness) -> None:
    session_id = await session_for(harness, "alice")
    value = token("alice")
    page = await harness.client.get(f"/chat/{session_id}", params={"token": value})
    assert page.status_code == 200
    html = BeautifulSoup(page.text, "html.parser")
    # The widget carries the token itself: a header on every htmx request, the URL for SSE.
    assert json.loads(html.body["hx-headers"]) == {"Authorization": f"Bearer {value}"}
    assert f"token={value}" in html.select_one("[sse-connect]")["sse-connect"]
    sent = await harness.client.post(
        f"/chat/{session_id}/messages",
        data={"message": "hello"},
        headers={**bearer(value), "HX-Request": "true"},
    )
    assert sent.status_code == 204
    mine = await harness.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=bearer(value))
    assert [task["request_text"] for task in mine.json()] == ["hello"]


async def test_a_token_for_one_session_cannot_use_another(harness: Harness) -> None:
    first, second = await session_for(harness, "alice"), await session_for(harness, "alice")
    task_id = await completed_task(harness, second)
    value = token("alice", sid=first)
    assert (await harness.client.get(f"/chat/{first}", params={"token": value})).status_code == 200
    page = await harness.client.get(f"/chat/{second}", params={"token": value})
    api = await feedback_as(harness, bearer(value), task_id, second)
    new_chat = await harness.client.post("/chat", params={"token": value})
    assert (page.status_code, api.status_code, new_chat.status_code) == (403, 403, 403)
    assert api.json()["detail"] == "This chat link is for a different chat."


@pytest.mark.parametrize(("secret", "length"), [("", 0), ("short-secret", 12)])
def test_token_mode_refuses_a_weak_secret(secret: str, length: int) -> None:
    data = config_dict(database_url="sqlite:///x.db", auth={"mode": "token", "secret": secret})
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data, {})
    assert str(caught.value) == (
        "apps[0].app_config.auth.secret: token mode needs a secret of at least 32 bytes "
        f"(got {length})"
    )


# --- API keys and scopes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "holder", "scope"),
    [
        ("POST", "/api/v1/sessions", {"user_id": "alice"}, "reader", "transcripts:write"),
        ("POST", "/api/v1/feedback", {"taskId": "t", "sessionId": "s", "feedbackType": "up",
                                      "userId": "alice"}, "pusher", "feedback:write"),
        ("GET", "/api/v1/feedback", None, "pusher", "feedback:read"),
    ],
)  # fmt: skip
async def test_a_key_without_the_scope_gets_403_naming_it(
    harness: Harness, method: str, path: str, body: Any, holder: str, scope: str
) -> None:
    response = await harness.client.request(method, path, json=body, headers=key(holder))
    assert response.status_code == 403
    assert scope in response.json()["detail"]


async def test_keys_work_as_bearer_too_and_unknown_keys_are_401(harness: Harness) -> None:
    assert (
        await harness.client.get("/api/v1/feedback", headers=bearer(KEYS["reader"][0]))
    ).is_success
    assert (
        await harness.client.get("/api/v1/feedback", headers={"X-API-Key": "nope"})
    ).status_code == 401


async def test_the_credential_decides_the_source(harness: Harness) -> None:
    alice_session = await session_for(harness, "alice")
    by_alice = await completed_task(harness, alice_session)
    by_platform = await completed_task(harness, alice_session)
    # The body asks for `platform`; the token makes it `customer` regardless.
    mine = await feedback_as(
        harness, bearer(token("alice")), by_alice, alice_session, source="platform"
    )
    theirs = await feedback_as(harness, key("writer"), by_platform, alice_session, userId="alice")
    assert (mine.status_code, theirs.status_code) == (202, 202)
    rows = {r.id: (r.user_id, r.source) for r in await harness.rows(select(Feedback))}
    assert rows == {
        mine.json()["id"]: ("alice", "customer"),
        theirs.json()["id"]: ("alice", "platform"),
    }


async def test_a_writer_key_must_name_the_user_and_users_cannot_name_others(
    harness: Harness,
) -> None:
    session_id = await session_for(harness, "alice")
    task_id = await completed_task(harness, session_id)
    unnamed = await feedback_as(harness, key("writer"), task_id, session_id)
    impostor = await feedback_as(harness, bearer(token("alice")), task_id, session_id, userId="bob")
    wrong_user = await feedback_as(harness, key("writer"), task_id, session_id, userId="bob")
    assert (unnamed.status_code, impostor.status_code, wrong_user.status_code) == (422, 403, 404)


# --- SAM's ownership rules ------------------------------------------------------------------


async def seeded(harness: Harness) -> dict[str, Any]:
    """alice and bob each rate one task in their own session."""
    found: dict[str, Any] = {}
    for user in ("alice", "bob"):
        session_id = await session_for(harness, user)
        task_id = await completed_task(harness, session_id)
        answer = await feedback_as(harness, bearer(token(user)), task_id, session_id)
        found[user] = {"session": session_id, "task": task_id, "feedback": answer.json()["id"]}
    return found


async def ids(harness: Harness, headers: dict[str, str], **params: str) -> Any:
    response = await harness.client.get("/api/v1/feedback", params=params, headers=headers)
    return response.status_code, sorted(
        row["id"] for row in response.json()
    ) if response.is_success else response.json()["detail"]


async def test_end_users_see_only_their_own_rows(harness: Harness) -> None:
    data = await seeded(harness)
    assert await ids(harness, bearer(token("alice"))) == (200, [data["alice"]["feedback"]])
    assert await ids(harness, bearer(token("bob"))) == (200, [data["bob"]["feedback"]])


async def test_query_user_id_needs_read_all(harness: Harness) -> None:
    data = await seeded(harness)
    refused = (403, "You do not have permission to query other users' feedback.")
    assert await ids(harness, bearer(token("alice")), query_user_id="bob") == refused
    assert await ids(harness, key("reader"), query_user_id="bob") == refused
    assert await ids(harness, key("admin"), query_user_id="bob") == (200, [data["bob"]["feedback"]])
    everyone = sorted(data[user]["feedback"] for user in ("alice", "bob"))
    assert await ids(harness, key("admin")) == (200, everyone)


async def test_task_filter_on_someone_elses_task(harness: Harness) -> None:
    data = await seeded(harness)
    bobs_task = data["bob"]["task"]
    # Not SAM's 403: that would confirm the id exists. tests/api/test_ownership.py has every door.
    assert await ids(harness, bearer(token("alice")), task_id=bobs_task) == (
        404,
        f"Task with ID '{bobs_task}' not found.",
    )
    assert await ids(harness, key("admin"), task_id=bobs_task) == (200, [data["bob"]["feedback"]])
    assert await ids(harness, bearer(token("bob")), task_id=bobs_task) == (
        200,
        [data["bob"]["feedback"]],
    )


async def test_another_users_session_does_not_exist_for_you(harness: Harness) -> None:
    data = await seeded(harness)
    bob = data["bob"]
    alice = bearer(token("alice"))
    page = await harness.client.get(f"/chat/{bob['session']}", params={"token": token("alice")})
    transcript = await harness.client.get(f"/api/v1/sessions/{bob['session']}/tasks", headers=alice)
    events = await harness.client.get(
        f"/chat/{bob['session']}/events", params={"token": token("alice")}
    )
    feedback = await feedback_as(harness, alice, bob["task"], bob["session"])
    assert [r.status_code for r in (page, transcript, events, feedback)] == [404, 404, 404, 404]
