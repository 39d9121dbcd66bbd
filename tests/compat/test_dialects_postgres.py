"""The cross-dialect rules hold on PostgreSQL under concurrent requests, as on SQLite."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.compat.test_dialects import AGENTSIGHT, TRODO, VOLT, pushed_task, trodo_item
from tests.support.dialects import OPERATOR, dialect_options
from tests.support.harness import HarnessFactory

pytestmark = pytest.mark.postgres


def reaction(
    number: int, session_id: str, task_id: str
) -> tuple[str, dict[str, Any], dict[str, str]]:
    """The same thumbs-style reaction, sent through a different door each time."""
    door = number % 4
    if door == 0:
        body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "up", "userId": "ann"}
        return "/api/v1/feedback", body, OPERATOR
    if door == 1:
        return (
            "/compat/trodo/api/sdk/batch",
            {"items": [trodo_item("tr", satisfaction="negative")]},
            TRODO,
        )
    if door == 2:
        body = {"kind": "message", "message_id": "tr", "sentiment": "positive"}
        return "/compat/agentsight/api/feedbacks/", body, AGENTSIGHT
    return (
        "/compat/voltagent/api/public/feedback",
        {"trace_id": "tr", "key": "thumbs", "score": 1},
        VOLT,
    )


def outcome(response: httpx.Response) -> int:
    if response.request.url.path.endswith("/batch"):
        return int(response.json()["results"][0]["status"])
    return response.status_code


async def test_one_reaction_per_task_across_dialects_on_postgres(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    app = await make_harness(database_url=postgres_url, **dialect_options())
    session_id, task_id = await pushed_task(app, "tr")

    async def send(number: int) -> int:
        path, body, headers = reaction(number, session_id, task_id)
        return outcome(await app.client.post(path, json=body, headers=headers))

    results = Counter(await asyncio.gather(*(send(n) for n in range(40))))
    assert results[409] == 39 and sum(results.values()) - results[409] == 1
    listed = await app.client.get("/api/v1/feedback", params={"task_id": task_id}, headers=OPERATOR)
    assert listed.headers["X-Total-Count"] == "1"


async def test_a_new_key_raced_by_its_first_uses_is_created_once(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    app = await make_harness(database_url=postgres_url, **dialect_options())
    await pushed_task(app, "tr")
    config = {"type": "continuous", "min": 0, "max": 5, "one_per_target": False}

    async def send(number: int) -> int:
        body = {"trace_id": "tr", "key": "effort", "score": number % 6, "feedback_config": config}
        response = await app.client.post(
            "/compat/voltagent/api/public/feedback", json=body, headers=VOLT
        )
        return response.status_code

    assert Counter(await asyncio.gather(*(send(n) for n in range(20)))) == {201: 20}
    listed = await app.client.get("/api/v1/feedback", params={"key": "effort"}, headers=OPERATOR)
    assert listed.headers["X-Total-Count"] == "20"
