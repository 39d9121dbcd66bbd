"""Under load, against a real server on SQLite: every door writes at once without a 500, and
a crash loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import (
    ServerProcess,
    config_dict,
    eventually,
    start_server,
    stop_server,
    write_config,
)
from tests.support.dialects import (
    AGENTSIGHT_KEY,
    OPERATOR,
    PORTKEY_KEY,
    TRODO_SITE,
    VOLT_PUBLIC,
    VOLT_SECRET,
    dialect_options,
)

TRODO = {"X-Trodo-Site-Id": TRODO_SITE}
AGENTSIGHT = {"Authorization": f"Api-Key {AGENTSIGHT_KEY}"}
PORTKEY = {"x-portkey-api-key": PORTKEY_KEY}
VOLT = {"X-Public-Key": VOLT_PUBLIC, "X-Secret-Key": VOLT_SECRET}


@pytest.fixture
def server(tmp_path: Path) -> Any:
    config = config_dict(database_url=f"sqlite:///{tmp_path / 'load.db'}", **dialect_options())
    started = start_server(write_config(tmp_path / "load.yaml", config))
    yield started
    stop_server(started)


async def completed(client: httpx.AsyncClient, session_id: str, name: str) -> str:
    created = await client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={"id": name, "trace_id": f"trace-{name}", "request_text": "q",
              "status": "completed", "response_text": "a"},
        headers=OPERATOR,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return name


async def test_every_door_writes_at_once_without_a_server_error(server: ServerProcess) -> None:
    form = {"Origin": server.url, "HX-Request": "true"}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        mine = (await client.post("/api/v1/sessions", json={})).json()["id"]  # the dev user's
        theirs = (
            await client.post("/api/v1/sessions", json={"user_id": "ann"}, headers=OPERATOR)
        ).json()["id"]
        rounds = 12
        names = [f"{door}-{n}" for n in range(rounds) for door in ("w", "s", "k", "t", "a", "v")]
        for name in names:
            await completed(client, mine if name[0] in "ws" else theirs, name)
        portkey = [await completed(client, theirs, f"p-{n}") for n in range(rounds)]

        async def widget(n: int) -> list[int]:
            rated = await client.post(
                f"/chat/{mine}/feedback", data={"task_id": f"w-{n}", "rating": "up"}, headers=form
            )
            said = await client.post(
                f"/chat/{mine}/messages", data={"message": f"hello {n}"}, headers=form
            )
            return [rated.status_code, said.status_code]

        async def sam(n: int) -> list[int]:
            body = {"taskId": f"s-{n}", "sessionId": mine, "feedbackType": "down"}
            return [(await client.post("/api/v1/feedback", json=body)).status_code]

        async def push(n: int) -> list[int]:
            path = f"/api/v1/sessions/{theirs}/tasks"
            created = await client.post(
                path, json={"id": f"live-{n}", "request_text": "q"}, headers=OPERATOR
            )
            codes = [created.status_code]
            for text, status in (("part ", None), ("end", "completed")):
                body = {"append_text": text, **({"status": status} if status else {})}
                patched = await client.patch(f"/api/v1/tasks/live-{n}", json=body, headers=OPERATOR)
                codes.append(patched.status_code)
            return codes

        async def link(n: int) -> list[int]:
            made = await client.post(
                "/api/v1/feedback/tokens", json={"task_id": f"k-{n}"}, headers=OPERATOR
            )
            answer = await client.post(made.json()["url"], json={"rating": "up"})
            return [made.status_code, answer.status_code]

        async def trodo(n: int) -> list[int]:
            items = [
                {"run_id": f"trace-t-{n}", "feedback": {"satisfaction": "positive", "rating": 5}},
                {"run": {"run_id": f"run-{n}", "status": "ok", "input": "q", "output": "a"}},
            ]
            answer = await client.post(
                "/compat/trodo/api/sdk/batch", json={"items": items}, headers=TRODO
            )
            return [answer.status_code, *(r["status"] for r in answer.json()["results"])]

        async def agentsight(n: int) -> list[int]:
            body = {"kind": "message", "message_id": f"trace-a-{n}", "sentiment": "positive"}
            sent = await client.post(
                "/compat/agentsight/api/feedbacks/", json=body, headers=AGENTSIGHT
            )
            return [sent.status_code]

        async def portkey_bulk(n: int) -> list[int]:
            bulk = [
                {"trace_id": f"trace-{portkey[n]}", "value": v, "weight": 0.5} for v in range(5)
            ]
            return [
                (
                    await client.post("/compat/portkey/v1/feedback", json=bulk, headers=PORTKEY)
                ).status_code
            ]

        async def voltagent(n: int) -> list[int]:
            direct = await client.post(
                "/compat/voltagent/api/public/feedback",
                json={"trace_id": f"trace-v-{n}", "key": "satisfaction", "score": 1},
                headers=VOLT,
            )
            token = await client.post(
                "/compat/voltagent/api/public/feedback/tokens",
                json={"trace_id": f"unseen-{n}", "feedback_key": "satisfaction"},
                headers=VOLT,
            )
            answer = await client.post(token.json()["url"], json={"score": 0})
            return [direct.status_code, token.status_code, answer.status_code]

        doors = (widget, sam, push, link, trodo, agentsight, portkey_bulk, voltagent)
        results = await asyncio.gather(*(door(n) for n in range(rounds) for door in doors))
    codes = Counter(code for result in results for code in result)
    assert [code for code in codes if code >= 500] == [], codes
    assert set(codes) <= {200, 201, 202, 204, 303}, codes
    assert "database is locked" not in server.log()


async def test_a_crash_loses_no_acknowledged_feedback(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "crash.yaml", config_dict(database_url=f"sqlite:///{tmp_path / 'crash.db'}")
    )
    server = start_server(config)
    acknowledged: list[str] = []
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            session_id = (await client.post("/api/v1/sessions", json={})).json()["id"]
            for n in range(400):
                await client.post(
                    f"/api/v1/sessions/{session_id}/tasks",
                    json={"id": f"c{n}", "request_text": "q", "status": "completed",
                          "response_text": "a"},
                )  # fmt: skip
            queue = iter(range(400))

            async def rate() -> None:
                for n in queue:
                    body = {"taskId": f"c{n}", "sessionId": session_id, "feedbackType": "up"}
                    try:
                        answer = await client.post("/api/v1/feedback", json=body)
                    except httpx.HTTPError:
                        return  # the server is gone
                    if answer.status_code == 202:
                        acknowledged.append(answer.json()["id"])

            async def crash() -> None:
                await eventually(lambda: len(acknowledged) >= 150, what="150 acknowledgements")
                os.kill(server.process.pid, signal.SIGKILL)

            await asyncio.gather(crash(), *(rate() for _ in range(16)))
    finally:
        server.process.wait()
    assert 150 <= len(acknowledged) < 400

    restarted = start_server(config, migrate=False)
    try:
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30) as client:
            stored: dict[str, str] = {}
            for page in range(1, 30):
                rows = (
                    await client.get("/api/v1/feedback", params={"page": page, "page_size": 100})
                ).json()
                stored.update((row["id"], row["task_id"]) for row in rows)
                if len(rows) < 100:
                    break
            tasks = (await client.get(f"/api/v1/sessions/{session_id}/tasks")).json()
    finally:
        stop_server(restarted)
    assert set(acknowledged) <= set(stored)
    # Task metadata agrees with the rows: marked exactly when a row exists, with its id.
    marked = {
        t["id"]: t["taskMetadata"]["feedback"]["id"] for t in tasks if t["taskMetadata"]["feedback"]
    }
    assert marked == {task_id: feedback_id for feedback_id, task_id in stored.items()}
