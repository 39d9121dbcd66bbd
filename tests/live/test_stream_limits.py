"""One client cannot hold the server: caps on open event streams (per user and per address,
the console's stream included), and a budget on creating chats."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import psutil
import pytest
from bs4 import BeautifulSoup

from tests.support import ServerProcess, config_dict, start_server, stop_server, write_config
from tests.support.harness import HarnessFactory

SECRET = "stream-limits-secret-" + "s" * 40
PLATFORM_KEY = "platform-key-0123456789"
OPERATOR_KEY = "operator-key-0123456789"
KEYS = [
    {"name": "platform", "key": PLATFORM_KEY, "scopes": ["transcripts:write"]},
    {"name": "operations", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
]


def token(user: str, ttl: int = 600) -> str:
    return jwt.encode({"sub": user, "exp": int(time.time()) + ttl}, SECRET, "HS256")


def token_server(tmp_path: Path, **app_config: Any) -> ServerProcess:
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'streams.db'}",
        auth={"mode": "token", "secret": SECRET, "api_keys": KEYS},
        admin={"secret": SECRET},
        **app_config,
    )
    return start_server(write_config(tmp_path / "streams.yaml", config))


@pytest.fixture
def capped(tmp_path: Path) -> Iterator[ServerProcess]:
    server = token_server(tmp_path, limits={"streams_per_user": 3, "streams_per_address": 5})
    yield server
    stop_server(server)


async def chat_of(client: httpx.AsyncClient, user: str) -> str:
    created = await client.post(
        "/api/v1/sessions", json={"user_id": user}, headers={"X-API-Key": PLATFORM_KEY}
    )
    assert created.status_code == 201, created.text
    session_id: str = created.json()["id"]
    return session_id


class Streams:
    """Event streams held open on one client; each attempt's status is what it answered."""

    def __init__(self, client: httpx.AsyncClient, stack: AsyncExitStack) -> None:
        self.client = client
        self.stack = stack
        self.open: list[tuple[str, AsyncExitStack]] = []

    async def attempt(self, url: str) -> httpx.Response:
        own = AsyncExitStack()
        response = await own.enter_async_context(self.client.stream("GET", url))
        if response.status_code == 200:
            self.open.append((url, own))
        else:
            await response.aread()
            await own.aclose()
        return response

    async def close(self, url: str) -> None:
        for index, (opened, own) in enumerate(self.open):
            if opened == url:
                del self.open[index]
                await own.aclose()
                return
        raise AssertionError(f"no open stream of {url}")

    async def close_all(self) -> None:
        for _url, own in self.open:
            await own.aclose()
        self.open.clear()


@asynccontextmanager
async def streams_on(base_url: str) -> AsyncIterator[Streams]:
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=10))
        streams = Streams(client, stack)
        try:
            yield streams
        finally:
            await streams.close_all()


async def opens_once_freed(streams: Streams, url: str) -> httpx.Response:
    """A freed slot is noticed when the server sees the disconnect: try until it is."""
    deadline = time.monotonic() + 5
    while True:
        response = await streams.attempt(url)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response


async def test_streams_are_capped_per_user_and_per_address_console_included(
    capped: ServerProcess,
) -> None:
    async with streams_on(capped.url) as streams:
        client = streams.client
        ann_chat, bob_chat = await chat_of(client, "ann"), await chat_of(client, "bob")
        ann = f"/chat/{ann_chat}/events?token={token('ann')}"
        bob = f"/chat/{bob_chat}/events?token={token('bob')}"

        assert [(await streams.attempt(ann)).status_code for _ in range(3)] == [200] * 3
        refused = await streams.attempt(ann)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "Too many live connections" in refused.text

        await streams.close(ann)  # closing one frees its slot
        assert (await opens_once_freed(streams, ann)).status_code == 200

        # Bob has slots of his own, but the address holds five at most.
        assert [(await streams.attempt(bob)).status_code for _ in range(3)] == [200, 200, 429]

        # The console's stream counts against the address too.
        signed_in = await client.post("/admin/login", data={"api_key": OPERATOR_KEY})
        assert signed_in.status_code == 303, signed_in.text
        assert (await streams.attempt("/admin/events")).status_code == 429
        await streams.close(bob)
        assert (await opens_once_freed(streams, "/admin/events")).status_code == 200
        assert (await streams.attempt(bob)).status_code == 429


async def test_one_token_holds_its_cap_of_streams_and_no_more_descriptors(
    tmp_path: Path,
) -> None:
    server = token_server(tmp_path)  # the default caps
    try:
        process = psutil.Process(server.process.pid)
        async with streams_on(server.url) as streams:
            chat = await chat_of(streams.client, "ann")
            url = f"/chat/{chat}/events?token={token('ann')}"
            before = process.num_fds()
            statuses = [(await streams.attempt(url)).status_code for _ in range(40)]
            held = statuses.count(200)
            at_cap = process.num_fds()
        assert held == 16 and statuses[16:] == [429] * 24
        # One descriptor per open stream; the 24 refused attempts keep none (a few spare for
        # the connection they share and a database reader opening meanwhile).
        assert at_cap - before <= held + 4, (before, at_cap)
    finally:
        stop_server(server)


def chat_budget(per_user: str, per_address: str) -> dict[str, Any]:
    unlimited = {"per_user": "1000/minute", "per_address": "1000/minute"}
    return {
        "rate_limits": {
            "enabled": True,
            "api": unlimited,
            "chats": {"per_user": per_user, "per_address": per_address},
        }
    }


async def test_new_chats_from_the_widget_spend_the_chats_budget(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(**chat_budget("3/minute", "100/minute"))  # dev mode
    statuses = [
        (await harness.client.post("/chat", headers={"Origin": "http://testserver"})).status_code
        for _ in range(4)
    ]
    assert statuses == [303, 303, 303, 429]
    refused = await harness.client.post("/chat", headers={"HX-Request": "true"})
    assert refused.status_code == 429 and refused.text.startswith("Too many requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_new_chats_through_the_push_api_spend_the_chats_budget(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(**chat_budget("100/minute", "3/minute"))
    statuses = [
        (await harness.client.post("/api/v1/sessions", json={})).status_code for _ in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    refused = await harness.client.post("/api/v1/sessions", json={})
    assert refused.json()["code"] == "rate_limited"
    assert "Retry-After" in refused.headers
    # The refused attempts stored nothing: the index lists three chats.
    index = BeautifulSoup((await harness.client.get("/")).text, "html.parser")
    assert len(index.select("[data-session-id]")) == 3
