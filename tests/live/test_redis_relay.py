"""Several instances on one PostgreSQL database, sharing live events through Redis: real
server processes, a real PostgreSQL and a real Redis on loopback."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from tests.support import (
    REDIS_URL,
    ServerProcess,
    config_dict,
    eventually,
    start_server,
    stop_server,
    wait_until_serving,
    write_config,
)
from tests.support.console import OPERATOR_KEY, console_config
from tests.support.redis import RedisServer
from tests.support.sse import Event, read_events

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def shared_config(
    tmp_path: Path, postgres_url: str, redis_url: str = REDIS_URL, **extra: Any
) -> Path:
    """Two instances' config: one database, live events through Redis (keys of this test's own)."""
    prefix = f"fw-test-{uuid.uuid4().hex[:8]}"
    config = config_dict(
        database_url=postgres_url,
        sse={"fanout_url": redis_url, "ping_seconds": 1, "key_prefix": prefix},
        rate_limits={"enabled": False},
        **extra,
    )
    return write_config(tmp_path / f"{prefix}.yaml", config)


@pytest.fixture
def two(tmp_path: Path, postgres_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    config = shared_config(tmp_path, postgres_url)
    first = start_server(config, migrate=False)
    second = start_server(config, migrate=False)
    yield first, second
    stop_server(first)
    stop_server(second)


async def events_until(
    stream: AsyncIterator[Event | str], count: int, within: float = 5
) -> list[Event]:
    found: list[Event] = []

    async def collect() -> None:
        async for item in stream:
            if isinstance(item, Event):
                found.append(item)
                if len(found) == count:
                    return

    await asyncio.wait_for(collect(), within)
    return found


async def names_until(stream: AsyncIterator[Event | str], expected: set[str]) -> set[str]:
    """The event names a stream brings until it has brought every expected one (task-created
    events of the setup may still be arriving: they are not what is counted)."""
    found: set[str] = set()

    async def collect() -> None:
        async for item in stream:
            if isinstance(item, Event) and item.event in expected:
                found.add(item.event)
                if found == expected:
                    return

    await asyncio.wait_for(collect(), 20)
    return found


async def completed_tasks(client: httpx.AsyncClient, session_id: str, count: int) -> list[str]:
    async def one(number: int) -> str:
        created = await client.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={"id": f"t{number:03d}", "request_text": f"q{number}", "status": "completed",
                  "response_text": "a"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    return list(await asyncio.gather(*(one(n) for n in range(count))))


async def like(client: httpx.AsyncClient, session_id: str, task_id: str) -> None:
    body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
    assert (await client.post("/api/v1/feedback", json=body)).status_code == 202


async def test_a_reconnect_to_another_instance_replays_exactly_what_was_missed(
    two: tuple[ServerProcess, ServerProcess],
) -> None:
    first, second = two
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10) as b,
    ):
        session_id = (await a.post("/api/v1/sessions", json={})).json()["id"]
        tasks = await completed_tasks(a, session_id, 4)
        async with a.stream("GET", f"/chat/{session_id}/events") as response:
            stream = read_events(response)
            await like(b, session_id, tasks[0])  # written on B, heard on A
            (seen,) = await events_until(stream, 1)
        assert seen.event == f"feedback-{tasks[0]}" and seen.id

        for task_id in tasks[1:]:  # while the client is away
            await like(b, session_id, task_id)

        headers = {"Last-Event-ID": seen.id or ""}
        async with b.stream("GET", f"/chat/{session_id}/events", headers=headers) as response:
            stream = read_events(response)
            replayed = await events_until(stream, 3)
            with pytest.raises(TimeoutError):  # and nothing more: no duplicates
                await events_until(stream, 1, within=1)
    assert [e.event for e in replayed] == [f"feedback-{task_id}" for task_id in tasks[1:]]
    ids = [seen.id, *(e.id for e in replayed)]
    assert len(set(ids)) == 4 and all(re.fullmatch(r"\d+-\d+", i or "") for i in ids)


async def test_live_updates_keep_to_their_own_key_prefix_not_the_budgets_one(
    tmp_path: Path, postgres_url: str
) -> None:
    """Two deployments on one Redis with their own `sse.key_prefix` and the same
    `rate_limits.key_prefix` (one database here, so a session exists on both): neither hears
    the other's writes, and a session's stream is `<sse.key_prefix>:live:<session>`."""
    run = uuid.uuid4().hex[:8]
    live = {name: f"fw-test-{run}-{name}" for name in "ab"}
    configs = [
        write_config(
            tmp_path / f"{name}.yaml",
            config_dict(
                database_url=postgres_url,
                sse={"fanout_url": REDIS_URL, "key_prefix": live[name]},
                rate_limits={"enabled": False, "key_prefix": f"fw-test-{run}-budgets"},
            ),
        )
        for name in "ab"
    ]
    first, second = (start_server(config, migrate=False) for config in configs)
    redis = Redis.from_url(REDIS_URL)
    try:
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=10) as a,
            httpx.AsyncClient(base_url=second.url, timeout=10) as b,
        ):
            session_id = (await a.post("/api/v1/sessions", json={})).json()["id"]
            tasks = await completed_tasks(a, session_id, 2)
            async with a.stream("GET", f"/chat/{session_id}/events") as response:
                stream = read_events(response)
                await like(a, session_id, tasks[0])  # its own write
                (heard,) = await events_until(stream, 1)
                await like(b, session_id, tasks[1])  # the other deployment's
                with pytest.raises(TimeoutError):
                    await events_until(stream, 1, within=1)
            assert heard.event == f"feedback-{tasks[0]}"
            assert await redis.exists(f"{live['a']}:live:{session_id}")
            assert await redis.keys(f"fw-test-{run}-budgets:live*") == []
    finally:
        await redis.aclose()
        stop_server(first)
        stop_server(second)


DEFERRED = "data retention: another instance"


async def test_two_instances_start_at_once_and_run_one_retention_pass(
    tmp_path: Path, postgres_url: str
) -> None:
    config = shared_config(tmp_path, postgres_url)
    # Both at once, on a fresh database: both register the built-in keys, one runs the pass.
    starting = [start_server(config, migrate=False, log_level="debug", wait=False) for _ in "ab"]
    try:
        for server in starting:
            wait_until_serving(server)
        # Each instance says what it decided: it ran the pass, or another instance did.
        await eventually(
            lambda: all("data retention pass:" in s.log() or DEFERRED in s.log() for s in starting),
            what="both instances to decide on the retention pass",
        )
        passes = [s.log().count("data retention pass:") for s in starting]
    finally:
        for server in starting:
            stop_server(server)
    assert sorted(passes) == [0, 1]
    assert all("Traceback" not in s.log() for s in starting)


async def test_workers_share_one_port_and_every_event_reaches_every_page(
    tmp_path: Path, postgres_url: str
) -> None:
    config = shared_config(tmp_path, postgres_url)
    server = start_server(config, migrate=False, args=("--workers", "2"))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
            tasks = await completed_tasks(client, session_id, 100)
            # Several streams, so that both workers hold some.
            streams = [client.stream("GET", f"/chat/{session_id}/events") for _ in range(4)]
            responses = [await stream.__aenter__() for stream in streams]
            try:
                readers = [read_events(response) for response in responses]
                requests = [like(client, session_id, task_id) for task_id in tasks]
                requests += [client.get("/api/v1/feedback") for _ in range(400)]  # 500 in all
                await asyncio.gather(*requests)
                expected = {f"feedback-{task_id}" for task_id in tasks}
                heard = await asyncio.gather(*(names_until(r, expected) for r in readers))
            finally:
                for stream in streams:
                    await stream.__aexit__(None, None, None)
            workers = {await answered_by(server.url) for _ in range(40)}
    finally:
        stop_server(server)
    assert len(workers) == 2, workers
    assert all(names == expected for names in heard)


async def test_redis_going_away_degrades_updates_but_never_writes(
    tmp_path: Path, postgres_url: str
) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    config = shared_config(tmp_path, postgres_url, redis.url)
    first = start_server(config, migrate=False)
    second = start_server(config, migrate=False)
    try:
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=10) as a,
            httpx.AsyncClient(base_url=second.url, timeout=10) as b,
        ):
            session_id = (await a.post("/api/v1/sessions", json={})).json()["id"]
            tasks = await completed_tasks(a, session_id, 3)

            async def cross_instance(client: httpx.AsyncClient) -> str:
                return str((await client.get("/api/v1/health")).json()["live"]["cross_instance"])

            redis.stop()
            await like(b, session_id, tasks[0])  # the write does not depend on Redis
            for client in (a, b):
                await eventually(
                    lambda c=client: _is(cross_instance(c), "degraded"), what="degraded"
                )
            async with b.stream("GET", f"/chat/{session_id}/events") as response:
                local = read_events(response)  # B's own pages still update
                await like(b, session_id, tasks[1])
                (heard,) = await events_until(local, 1)
            assert heard.event == f"feedback-{tasks[1]}"

            redis.start()
            for client in (a, b):
                await eventually(
                    lambda c=client: _is(cross_instance(c), "ok"), within=20, what="ok"
                )
            async with a.stream("GET", f"/chat/{session_id}/events") as response:
                stream = read_events(response)
                await like(b, session_id, tasks[2])  # across instances again
                (resumed,) = await events_until(stream, 1)
            assert resumed.event == f"feedback-{tasks[2]}"
    finally:
        stop_server(first)
        stop_server(second)
        redis.stop()
    assert "Traceback" not in first.log() + second.log()


async def answered_by(url: str) -> str:
    """Which worker answers a new connection (the kernel spreads them over the workers)."""
    async with httpx.AsyncClient(base_url=url, timeout=10) as fresh:
        return str((await fresh.get("/api/v1/health")).json()["instance"])


async def _is(value: Any, expected: str) -> bool:
    return bool(await value == expected)


async def test_operators_hear_feedback_stored_on_any_instance(
    tmp_path: Path, postgres_url: str
) -> None:
    """The console's live stream on A announces feedback submitted through B."""
    config = shared_config(tmp_path, postgres_url, **console_config())
    first = start_server(config, migrate=False)
    second = start_server(config, migrate=False)
    try:
        async with (
            httpx.AsyncClient(base_url=first.url, timeout=10) as a,
            httpx.AsyncClient(base_url=second.url, timeout=10) as b,
        ):
            signed = await a.post("/admin/login", data={"api_key": OPERATOR_KEY})
            assert signed.status_code == 303
            session_id = (await b.post("/api/v1/sessions", json={})).json()["id"]
            (task_id,) = await completed_tasks(b, session_id, 1)
            async with a.stream("GET", "/admin/events") as response:
                assert response.status_code == 200
                stream = read_events(response)
                await like(b, session_id, task_id)
                (heard,) = await events_until(stream, 1)
            rows = (await b.get("/api/v1/feedback", params={"task_id": task_id})).json()
        assert (heard.event, heard.data) == ("feedback", rows[0]["id"])
    finally:
        stop_server(first)
        stop_server(second)
