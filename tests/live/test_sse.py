"""The session event stream, against a real uvicorn server (httpx's ASGI transport buffers)."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from bs4 import BeautifulSoup

from app.server import SHUTDOWN_GRACE_SECONDS
from tests.support import (
    config_dict,
    eventually,
    running_server,
    start_server,
    stop_server,
    write_config,
)
from tests.support.sse import Event, read_events


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Iterator[str]:
    """One server for the module: every test works in sessions of its own."""
    folder = tmp_path_factory.mktemp("sse")
    shutil.copy(migrated_template, folder / "sse.db")
    config = config_dict(database_url=f"sqlite:///{folder / 'sse.db'}", sse={"ping_seconds": 0.3})
    with running_server(write_config(folder / "sse.yaml", config), migrate=False) as url:
        yield url


@pytest.fixture
async def client(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server, timeout=10) as client:
        yield client


async def next_events(stream: AsyncIterator[Event | str], count: int) -> list[Event]:
    found: list[Event] = []

    async def collect() -> None:
        async for item in stream:
            if isinstance(item, Event):
                found.append(item)
                if len(found) == count:
                    return

    await asyncio.wait_for(collect(), 5)
    return found


async def test_stream_carries_tasks_text_completion_and_feedback(client: httpx.AsyncClient) -> None:
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    async with client.stream("GET", f"/chat/{session_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = read_events(response)
        await client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"id": "t1", "request_text": "Question?"}
        )
        await client.patch("/api/v1/tasks/t1", json={"append_text": "Part one"})
        await client.patch("/api/v1/tasks/t1", json={"status": "completed"})
        await client.post(
            "/api/v1/feedback", json={"taskId": "t1", "sessionId": session_id, "feedbackType": "up"}
        )
        created, streamed, completed, feedback = await next_events(stream, 4)

    assert [e.event for e in (created, streamed, completed, feedback)] == [
        "task-created", "reply-t1", "reply-t1", "feedback-t1",
    ]  # fmt: skip
    assert BeautifulSoup(created.data, "html.parser").select_one("li.turn")["id"] == "task-t1"
    running = BeautifulSoup(streamed.data, "html.parser")
    assert "Part one" in running.text and running.select("[data-feedback-open]") == []
    done = BeautifulSoup(completed.data, "html.parser")
    assert [b.text.strip() for b in done.select("[data-feedback-open]")] == ["Like", "Dislike"]
    submitted = BeautifulSoup(feedback.data, "html.parser")
    assert submitted.select_one('[aria-pressed="true"]').text.strip() == "Like"
    ids = [e.id for e in (created, streamed, completed, feedback)]
    assert all(ids) and len(set(ids)) == 4


async def events_until(
    stream: AsyncIterator[Event | str], last: Callable[[Event], bool]
) -> list[Event]:
    """Every event up to and including the first that `last` accepts."""
    found: list[Event] = []

    async def collect() -> None:
        async for item in stream:
            if isinstance(item, Event):
                found.append(item)
                if last(item):
                    return

    await asyncio.wait_for(collect(), 10)
    return found


async def test_the_widgets_posts_reach_the_posting_page_once_over_the_stream(
    client: httpx.AsyncClient,
) -> None:
    """One channel per update: an htmx post answers 204, and its change reaches every open page
    of the chat, the poster's included, once over the stream. A turn pushed afterwards shows
    that nothing else came in between."""
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    htmx = {"HX-Request": "true"}
    marker = f"after-{session_id}"
    async with client.stream("GET", f"/chat/{session_id}/events") as response:
        stream = read_events(response)
        sent = await client.post(
            f"/chat/{session_id}/messages", data={"message": "Hi"}, headers=htmx
        )
        assert (sent.status_code, sent.content) == (204, b"")
        task_id = json.loads(sent.headers["HX-Trigger"])["feedback-widget:sent"]["taskId"]
        turn = await events_until(
            stream, lambda e: e.event == f"reply-{task_id}" and "data-feedback-open" in e.data
        )
        rated = await client.post(
            f"/chat/{session_id}/feedback", data={"task_id": task_id, "rating": "up"}, headers=htmx
        )
        assert (rated.status_code, rated.content) == (204, b"")
        await client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"id": marker, "request_text": "Next"}
        )
        rest = await events_until(stream, lambda e: f'id="task-{marker}"' in e.data)

    names = [e.event for e in turn + rest]
    assert names.count("task-created") == 2 and names[0] == names[-1] == "task-created"
    new_turn = BeautifulSoup(turn[0].data, "html.parser").select_one("li.turn")
    assert new_turn is not None and new_turn["id"] == f"task-{task_id}"
    # If the page already shows the turn (rendered after it was stored), it keeps its own.
    assert new_turn.has_attr("hx-preserve")
    assert set(names[1:-1]) == {f"reply-{task_id}", f"feedback-{task_id}"}
    (controls,) = [e for e in rest if e.event == f"feedback-{task_id}"]
    status = BeautifulSoup(controls.data, "html.parser").select_one('[role="status"]')
    assert status is not None and status.text == "Feedback submitted"


async def test_reconnect_with_last_event_id_replays_missed_events(
    client: httpx.AsyncClient,
) -> None:
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    async with client.stream("GET", f"/chat/{session_id}/events") as response:
        stream = read_events(response)
        await client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"id": "a", "request_text": "1"}
        )
        (first,) = await next_events(stream, 1)

    # While disconnected:
    await client.post(f"/api/v1/sessions/{session_id}/tasks", json={"id": "b", "request_text": "2"})
    await client.patch("/api/v1/tasks/b", json={"append_text": "x"})

    headers = {"Last-Event-ID": first.id or ""}
    async with client.stream("GET", f"/chat/{session_id}/events", headers=headers) as response:
        missed = await next_events(read_events(response), 2)
    assert [e.event for e in missed] == ["task-created", "reply-b"]


async def test_unknown_last_event_id_resyncs_the_whole_transcript(
    client: httpx.AsyncClient,
) -> None:
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    await client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"id": "only", "request_text": "1"}
    )
    headers = {"Last-Event-ID": "old-process-12"}
    async with client.stream("GET", f"/chat/{session_id}/events", headers=headers) as response:
        (event,) = await next_events(read_events(response), 1)
    assert event.event == "transcript"
    turns = BeautifulSoup(event.data, "html.parser").select("li.turn")
    assert [li["id"] for li in turns] == ["task-only"]
    # The whole transcript replaces the page's: its turns replace theirs, none is kept.
    assert not turns[0].has_attr("hx-preserve")


async def test_pings_arrive_at_the_configured_interval(client: httpx.AsyncClient) -> None:
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    pings = 0
    async with client.stream("GET", f"/chat/{session_id}/events") as response:

        async def count() -> None:
            nonlocal pings
            async for item in read_events(response):
                if isinstance(item, str) and item.startswith(": ping"):
                    pings += 1

        with pytest.raises(TimeoutError):
            await asyncio.wait_for(count(), 1.0)
    assert 2 <= pings <= 4


async def test_the_stream_is_never_compressed_while_pages_are(client: httpx.AsyncClient) -> None:
    """gzip would hold every event in its buffer until the stream ended: a client that accepts
    gzip still gets each event as it happens, uncompressed; the page around it is compressed."""
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    page = await client.get(f"/chat/{session_id}", headers={"accept-encoding": "gzip"})
    assert page.headers.get("content-encoding") == "gzip"
    events = f"/chat/{session_id}/events"
    async with client.stream("GET", events, headers={"accept-encoding": "gzip"}) as response:
        assert "content-encoding" not in response.headers
        stream = read_events(response)
        await client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"id": "gz1", "request_text": "Zip?"}
        )
        (created,) = await next_events(stream, 1)  # arrives while the stream stays open
    assert created.event == "task-created"


async def subscribers(client: httpx.AsyncClient, count: int) -> bool:
    health = (await client.get("/api/v1/health")).json()
    return bool(health["live"]["subscribers"] == count)


async def test_disconnected_clients_leave_nothing_behind(client: httpx.AsyncClient) -> None:
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    async with (
        client.stream("GET", f"/chat/{session_id}/events"),
        client.stream("GET", f"/chat/{session_id}/events"),
    ):
        await eventually(lambda: subscribers(client, 2), what="two subscribers")
    await eventually(lambda: subscribers(client, 0), what="no subscribers left")


async def test_stream_of_unknown_session_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/chat/nope/events")
    assert response.status_code == 404


async def test_the_stream_takes_the_token_from_its_url_and_refuses_bad_ones(
    tmp_path: Path,
) -> None:
    secret = "stream-secret-" + "s" * 40
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'token.db'}",
        auth={
            "mode": "token",
            "secret": secret,
            "api_keys": [
                {"name": "push", "key": "push-key-0123456789", "scopes": ["transcripts:write"]}
            ],
        },
    )
    with running_server(write_config(tmp_path / "token.yaml", config)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            push = {"X-API-Key": "push-key-0123456789"}
            dana = await client.post("/api/v1/sessions", json={"user_id": "dana"}, headers=push)
            session_id = dana.json()["id"]

            def mint(sub: str, ttl: int = 300) -> str:
                claims = {"sub": sub, "exp": int(time.time()) + ttl}
                return jwt.encode(claims, secret, algorithm="HS256")

            path = f"/chat/{session_id}/events"
            refused = [
                (await client.get(path)).status_code,
                (await client.get(path, params={"token": mint("dana", ttl=-5)})).status_code,
                (await client.get(path, params={"token": mint("erin")})).status_code,
            ]
            assert refused == [401, 401, 404]

            async with client.stream("GET", path, params={"token": mint("dana")}) as response:
                assert response.status_code == 200
                stream = read_events(response)
                await client.post(
                    f"/api/v1/sessions/{session_id}/tasks",
                    json={"id": "tk1", "request_text": "Question?"},
                    headers=push,
                )
                (created,) = await next_events(stream, 1)
    assert created.event == "task-created"


async def test_shutdown_ends_open_streams_at_once(tmp_path: Path) -> None:
    """SIGTERM ends every live stream straight away, so the server stops promptly instead of
    waiting out its grace period for connections that never end on their own."""
    config = config_dict(database_url=f"sqlite:///{tmp_path / 'stop.db'}")
    server = start_server(write_config(tmp_path / "stop.yaml", config))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
            async with client.stream("GET", f"/chat/{session_id}/events") as response:
                assert response.status_code == 200
                started = time.monotonic()
                server.process.terminate()
                async for _ in response.aiter_raw():
                    pass  # the server ends the stream
                ended = time.monotonic() - started
        server.process.wait(timeout=10)
    finally:
        stop_server(server)
    assert ended < SHUTDOWN_GRACE_SECONDS / 2
