"""A stream ends when the credential that opened it expires: the widget's token, the
operator's console session. It says so with an `auth-expired` event, and a fresh credential
resumes it without losing what happened in between."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

from tests.support import ServerProcess, config_dict, start_server, stop_server, write_config
from tests.support.sse import Event, read_events

SECRET = "stream-expiry-secret-" + "e" * 40
PLATFORM_KEY = "platform-key-0123456789"
OPERATOR_KEY = "operator-key-0123456789"
PLATFORM = {"X-API-Key": PLATFORM_KEY}


def token(user: str, expires_at: float) -> str:
    return jwt.encode({"sub": user, "exp": int(expires_at)}, SECRET, "HS256")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    keys = [
        {"name": "platform", "key": PLATFORM_KEY, "scopes": ["transcripts:write"]},
        {"name": "operations", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
    ]
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'expiry.db'}",
        auth={"mode": "token", "secret": SECRET, "api_keys": keys},
        admin={"secret": SECRET, "session_hours": 0.001},  # 3.6 seconds
        sse={"ping_seconds": 0.5},
    )
    started = start_server(write_config(tmp_path / "expiry.yaml", config))
    yield started
    stop_server(started)


async def events_until_end(response: httpx.Response, within: float) -> list[tuple[float, Event]]:
    """Every event until the server ends the stream, with when it arrived."""
    seen: list[tuple[float, Event]] = []

    async def read() -> None:
        async for item in read_events(response):
            if isinstance(item, Event):
                seen.append((time.time(), item))

    await asyncio.wait_for(read(), within)
    return seen


async def test_a_stream_ends_with_auth_expired_when_its_token_expires(
    server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        chat = await client.post("/api/v1/sessions", json={"user_id": "ann"}, headers=PLATFORM)
        session_id = chat.json()["id"]
        expires_at = int(time.time()) + 3
        url = f"/chat/{session_id}/events?token={token('ann', expires_at)}"
        async with client.stream("GET", url) as response:
            assert response.status_code == 200
            pushed = await client.post(
                f"/api/v1/sessions/{session_id}/tasks",
                json={"id": "before", "request_text": "Before it expires"},
                headers=PLATFORM,
            )
            assert pushed.status_code == 201
            seen = await events_until_end(response, within=8)

        names = [event.event for _at, event in seen]
        assert names == ["task-created", "auth-expired"]
        arrived, _ = seen[-1]
        assert expires_at - 0.1 <= arrived <= expires_at + 1.5, (arrived, expires_at)
        last_id = seen[0][1].id
        assert last_id is not None

        # The old token opens nothing now; meanwhile a task arrives.
        refused = await client.get(url)
        assert refused.status_code == 401
        await client.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={"id": "while", "request_text": "While it was expired"},
            headers=PLATFORM,
        )
        # A fresh token resumes after the last event seen, and nothing is lost.
        fresh = token("ann", time.time() + 600)
        resumed = f"/chat/{session_id}/events?after={last_id}&token={fresh}"
        async with client.stream("GET", resumed) as response:
            assert response.status_code == 200
            async for item in read_events(response):
                if isinstance(item, Event):
                    assert item.event == "task-created" and 'id="task-while"' in item.data
                    break


async def test_the_console_stream_ends_when_the_operator_session_does(
    server: ServerProcess,
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        signed_in_at = time.time()
        signed_in = await client.post("/admin/login", data={"api_key": OPERATOR_KEY})
        assert signed_in.status_code == 303
        async with client.stream("GET", "/admin/events") as response:
            assert response.status_code == 200
            seen = await events_until_end(response, within=10)
        assert [event.event for _at, event in seen] == ["auth-expired"]
        arrived, _ = seen[0]
        # The session's record on the server decides: it lasts int(0.001 h) = 3 s from
        # the sign-in.
        ends = signed_in_at + 3
        assert ends - 0.1 <= arrived <= ends + 1.5, (arrived, ends)
        again = await client.get("/admin/events", headers={"Accept": "text/event-stream"})
        assert again.status_code == 401


async def test_signing_out_ends_the_operators_open_stream(server: ServerProcess) -> None:
    """Signing out ends the session for every request at once; an operators' stream already
    open when it happens notices at its next write (checked at most every ping interval)."""
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        signed_in = await client.post("/admin/login", data={"api_key": OPERATOR_KEY})
        assert signed_in.status_code == 303
        cookies = dict(client.cookies)
        async with (
            httpx.AsyncClient(base_url=server.url, timeout=10, cookies=cookies) as watcher,
            watcher.stream("GET", "/admin/events") as response,
        ):
            assert response.status_code == 200
            signed_out = await client.post("/admin/logout")
            assert signed_out.status_code == 303
            started = time.time()
            seen = await events_until_end(response, within=3)
        assert [event.event for _at, event in seen] == ["auth-expired"]
        assert seen[0][0] - started < 1.5  # within about one ping interval (0.5 s)
