"""One submission per task holds under concurrent requests on PostgreSQL and across server
processes. (In one process on SQLite: tests/db/test_writer.py, which also counts the INSERTs.)"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.support import config_dict, running_server, write_config
from tests.support.harness import HarnessFactory

ATTEMPTS = 50


async def race(clients: list[httpx.AsyncClient], session_id: str, task_id: str) -> Counter[int]:
    async def submit(number: int) -> int:
        client = clients[number % len(clients)]
        response = await client.post(
            "/api/v1/feedback",
            json={
                "taskId": task_id,
                "sessionId": session_id,
                "feedbackType": "up" if number % 2 else "down",
            },
        )
        return response.status_code

    return Counter(await asyncio.gather(*(submit(n) for n in range(ATTEMPTS))))


async def prepare(client: httpx.AsyncClient) -> tuple[str, str]:
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    task = await client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"request_text": "q", "status": "completed", "response_text": "a"},
    )
    return session_id, task.json()["id"]


async def stored_rows(client: httpx.AsyncClient, task_id: str) -> int:
    response = await client.get("/api/v1/feedback", params={"task_id": task_id})
    return int(response.headers["X-Total-Count"])


@pytest.mark.postgres
async def test_fifty_concurrent_posts_on_postgres(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = await make_harness(database_url=postgres_url)
    session_id, task_id = await prepare(harness.client)
    assert await race([harness.client], session_id, task_id) == {202: 1, 409: ATTEMPTS - 1}
    assert await stored_rows(harness.client, task_id) == 1


async def across_two_servers(config: Path) -> None:
    with running_server(config) as first_url, running_server(config, migrate=False) as second_url:
        async with (
            httpx.AsyncClient(base_url=first_url, timeout=30) as first,
            httpx.AsyncClient(base_url=second_url, timeout=30) as second,
        ):
            session_id, task_id = await prepare(first)
            assert await race([first, second], session_id, task_id) == {202: 1, 409: ATTEMPTS - 1}
            assert await stored_rows(second, task_id) == 1


@pytest.mark.postgres
async def test_two_server_processes_on_one_postgres(tmp_path: Path, postgres_url: str) -> None:
    await across_two_servers(
        write_config(tmp_path / "pg.yaml", config_dict(database_url=postgres_url))
    )


async def test_two_server_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    await across_two_servers(write_config(tmp_path / "lite.yaml", config_dict(database_url=url)))


async def many_racing_over_few_tasks(client: httpx.AsyncClient, tasks: int, posts: int) -> None:
    """`posts` concurrent submissions spread over `tasks` tasks: one stored per task."""
    session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
    task_ids = []
    for number in range(tasks):
        created = await client.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={"request_text": f"q{number}", "status": "completed", "response_text": "a"},
        )
        task_ids.append(created.json()["id"])

    async def submit(number: int) -> tuple[str, int]:
        task_id = task_ids[number % tasks]
        body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
        return task_id, (await client.post("/api/v1/feedback", json=body)).status_code

    outcomes = await asyncio.gather(*(submit(n) for n in range(posts)))
    per_task: dict[str, Counter[int]] = {}
    for task_id, status in outcomes:
        per_task.setdefault(task_id, Counter())[status] += 1
    expected = Counter({202: 1, 409: posts // tasks - 1})
    assert all(counts == expected for counts in per_task.values()), per_task
    for task_id in task_ids:
        assert await stored_rows(client, task_id) == 1


async def test_two_hundred_posts_over_twenty_tasks_on_sqlite(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness()
    await many_racing_over_few_tasks(harness.client, tasks=20, posts=200)


@pytest.mark.postgres
async def test_two_hundred_posts_over_twenty_tasks_on_postgres(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = await make_harness(database_url=postgres_url)
    await many_racing_over_few_tasks(harness.client, tasks=20, posts=200)
