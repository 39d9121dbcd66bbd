"""The real feedback SDKs, pointed at a live server, feedback asserted through our own API.

The SDKs live in .sdk/ (scripts/install-sdk-clients.sh, run by `make test`); each driver in
drivers/ calls its SDK as the SDK's docs do. Every server here publishes to its own MQTT
broker, so each test also sees its feedback arrive as events.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import ROOT, config_dict, running_server, write_config
from tests.support.dialects import (
    AGENTSIGHT_KEY,
    OPERATOR,
    PORTKEY_KEY,
    TRODO_SITE,
    VOLT_PUBLIC,
    VOLT_SECRET,
    dialect_options,
    push_task,
)
from tests.support.mqtt import Broker, Subscriber, subscribed

DRIVERS = Path(__file__).parent / "drivers"
SDK_DIR = ROOT / ".sdk"
TOPIC = "feedback/sdk"


def sdk(directory: str) -> Path:
    path = SDK_DIR / directory
    if not (path / ".installed").exists():
        pytest.fail(f"{path} is missing: run ./scripts/install-sdk-clients.sh (make test does)")
    return path


async def run_python_driver(
    script: str, directory: str, *args: str, env: dict[str, str] | None = None
) -> str:
    return await _run(
        [sys.executable, str(DRIVERS / script), *args],
        env={**os.environ, "PYTHONPATH": str(sdk(directory)), **(env or {})},
    )


async def run_node_driver(script: str, directory: str, *args: str) -> str:
    # ESM resolves packages from the working directory for a script read from stdin.
    source = (DRIVERS / script).read_bytes()
    return await _run(["node", "--input-type=module", "-", *args], cwd=sdk(directory), stdin=source)


async def _run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: bytes | None = None,
) -> str:
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 120)
    assert process.returncode == 0, f"{command[1]} failed:\n{err.decode()}\n{out.decode()}"
    return out.decode().strip().splitlines()[-1]


@dataclass
class Live:
    url: str
    api: httpx.AsyncClient
    events: Subscriber

    async def push_task(self, trace_id: str, user: str = "ann") -> tuple[str, str]:
        return await push_task(self.api, trace_id, user)

    async def feedback(self, **filters: str) -> list[dict[str, Any]]:
        response = await self.api.get("/api/v1/feedback", params=filters, headers=OPERATOR)
        rows: list[dict[str, Any]] = response.json()
        return rows

    async def published(self, count: int) -> list[dict[str, Any]]:
        return [message.payload["feedback"] for message in await self.events.wait_for(count)]


@pytest.fixture
async def live(tmp_path: Path, broker: Broker) -> AsyncIterator[Live]:
    publishing = {"enabled": True, "topic": TOPIC, "broker": {"url": broker.url, "qos": 1}}
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'sdk.db'}",
        **dialect_options(feedback_publishing=publishing),
    )
    with running_server(write_config(tmp_path / "sdk.yaml", config)) as url:
        async with (
            httpx.AsyncClient(base_url=url, timeout=10) as api,
            subscribed(broker, TOPIC) as events,
        ):
            yield Live(url, api, events)


async def test_trodo_2_run_and_feedback_are_delivered_with_nothing_dropped(live: Live) -> None:
    report = json.loads(
        await run_python_driver(
            "trodo2.py", "trodo-2.26.2", f"{live.url}/compat/trodo", TRODO_SITE, "conv-trodo"
        )
    )
    stats = report["stats"]
    assert (stats["sent"], stats["dropped"], stats["queued"]) == (
        2,
        0,
        0,
    )  # the run and its feedback
    (row,) = await live.feedback(key="trodo")
    assert (row["task_id"], row["user_id"], row["source"], row["via"]) == (
        report["run_id"],
        "ann",
        "customer",
        "trodo",
    )
    assert (row["rating"], row["score"], row["label"], row["comment"], row["metadata"]) == (
        "up",
        5,
        "positive",
        "Found it in seconds",
        {"plan": "pro"},
    )
    tasks = (await live.api.get("/api/v1/sessions/conv-trodo/tasks", headers=OPERATOR)).json()
    assert [(t["id"], t["status"], t["response_text"]) for t in tasks] == [
        (report["run_id"], "completed", "It is under Billing > Invoices.")
    ]
    assert tasks[0]["taskMetadata"]["feedback"]["feedbackId"] == row["id"]
    (event,) = await live.published(1)
    assert (event["id"], event["key"], event["via"]) == (row["id"], "trodo", "trodo")


async def test_trodo_1_track_feedback(live: Live) -> None:
    _, task_id = await live.push_task("msg_01jf3t8r")
    await run_python_driver(
        "trodo1.py", "trodo-1.2.0", f"{live.url}/compat/trodo", TRODO_SITE, "msg_01jf3t8r"
    )
    (row,) = await live.feedback(key="trodo")
    assert (row["task_id"], row["rating"], row["score"], row["comment"], row["event_time"]) == (
        task_id,
        "down",
        2,
        "Hard to follow",
        1795168800000,
    )
    assert (await live.published(1))[0]["via"] == "trodo"


async def test_agentsight_0_0_stores_exactly_one_row(live: Live) -> None:
    session_id, _ = await live.push_task("as-conv")
    env = {
        "AGENTSIGHT_API_KEY": AGENTSIGHT_KEY,
        "AGENTSIGHT_API_ENDPOINT": f"{live.url}/compat/agentsight",
    }
    answer = json.loads(
        await run_python_driver("agentsight00.py", "agentsight-0.0.44", session_id, env=env)
    )
    rows = await live.feedback(key="sentiment")
    assert len(rows) == 1  # 201 with JSON: the SDK did not re-send
    (row,) = rows
    assert answer["id"] == row["id"]
    assert (row["target"], row["label"], row["score"], row["source"], row["user_id"]) == (
        {"kind": "session", "id": session_id},
        "positive",
        1,
        "customer",
        "ann",
    )
    assert row["metadata"] == {"rating": 5, "feedback_channel": "post_chat_survey"}
    assert [event["id"] for event in await live.published(1)] == [row["id"]]


async def test_agentsight_0_1_conversation_and_message(live: Live) -> None:
    session_id, task_id = await live.push_task("4242")
    report = json.loads(
        await run_python_driver(
            "agentsight01.py",
            "agentsight-0.1.4",
            f"{live.url}/compat/agentsight",
            AGENTSIGHT_KEY,
            session_id,
            "4242",
        )
    )
    rows = {row["target"]["kind"]: row for row in await live.feedback(key="sentiment")}
    assert (rows["session"]["label"], rows["session"]["score"], rows["session"]["comment"]) == (
        "neutral",
        0,
        "It was okay",
    )
    assert (rows["task"]["task_id"], rows["task"]["score"], rows["task"]["rating"]) == (
        task_id,
        -1,
        "down",
    )
    assert rows["task"]["metadata"] == {"reason": "incorrect"}
    assert report["message"]["id"] == rows["task"]["id"]
    assert len(await live.published(2)) == 2


async def test_portkey_create_bulk_update_and_refused_value(live: Live) -> None:
    _, task_id = await live.push_task("trace-2026-abc")
    report = json.loads(
        await run_python_driver(
            "portkey.py",
            "portkey-2.3.4",
            f"{live.url}/compat/portkey/v1",
            PORTKEY_KEY,
            "trace-2026-abc",
        )
    )
    assert report["status"] == "success" and len(report["bulk"]) == 2
    assert report["updated"] == report["created"]
    assert report["refused"]["type"] == "BadRequestError"
    assert "between -10 and 10" in report["refused"]["message"]
    rows = await live.feedback(key="portkey")
    assert sorted((r["score"], r["weight"]) for r in rows) == [(-3, 0.25), (7, 1.0), (10, 0.5)]
    (indexed,) = await live.feedback(organisation="org-9", environment="production")
    assert (indexed["user_id"], indexed["prompt"], indexed["comment"], indexed["task_id"]) == (
        "user-123",
        "prompt-xyz",
        "Helpful",
        task_id,
    )
    # Three created, one updated: each change is published with the row as it now is.
    events = await live.published(4)
    assert [e["score"] for e in events if e["id"] == report["created"][0]] == [5, 7]


async def test_voltagent_token_ingest_direct_create_and_key_registry(live: Live) -> None:
    trace = "0af7651916cd43dd8448eb211c80319c"
    _, task_id = await live.push_task(trace)
    report = json.loads(
        await run_node_driver(
            "voltagent.mjs",
            "voltagent-2.10.0",
            f"{live.url}/compat/voltagent",
            VOLT_PUBLIC,
            VOLT_SECRET,
            trace,
        )
    )
    token = report["token"]
    assert token["url"].startswith(f"{live.url}/compat/voltagent/api/public/feedback/ingest/")
    assert token["feedbackConfig"]["type"] == "categorical"
    assert report["ingest"]["status"] == 201 and report["again"] == {"status": 409}
    assert report["direct"]["key"] == "accuracy" and report["direct"]["score"] == 4
    assert report["reused"]["feedbackConfig"] == {
        "type": "continuous",
        "min": 0,
        "max": 5,
    }  # stored wins
    assert "from 0 to 5" in report["outOfRange"]
    rows = {row["key"]: row for row in await live.feedback()}
    assert (
        rows["helpfulness"]["score"],
        rows["helpfulness"]["label"],
        rows["helpfulness"]["source"],
    ) == (1, "Helpful", "customer")
    assert (rows["accuracy"]["score"], rows["accuracy"]["source"]) == (4, "model")
    assert rows["helpfulness"]["id"] == report["ingest"]["body"]["id"]
    tasks = (
        await live.api.get(
            f"/api/v1/sessions/{rows['accuracy']['session_id']}/tasks", headers=OPERATOR
        )
    ).json()
    assert tasks[0]["id"] == task_id
    assert tasks[0]["taskMetadata"]["feedback"]["feedbackId"] == rows["helpfulness"]["id"]
    assert sorted(e["via"] for e in await live.published(2)) == ["voltagent", "voltagent"]


async def test_voltagent_agent_feedback_gets_a_link_before_its_task_exists(live: Live) -> None:
    """`new Agent({voltOpsClient})` + `generateText(…, {feedback})`: the Agent asks for a token
    with its own fresh trace id before the host can push the task. The link must work."""
    report = json.loads(
        await run_node_driver(
            "voltagent_agent.mjs",
            "voltagent-2.10.0",
            f"{live.url}/compat/voltagent",
            VOLT_PUBLIC,
            VOLT_SECRET,
        )
    )
    feedback = report["feedback"]
    assert feedback is not None, "the Agent got no feedback link (the token request failed)"
    assert feedback["url"].startswith(f"{live.url}/compat/voltagent/api/public/feedback/ingest/")
    trace = feedback["traceId"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace) and feedback["key"] == "satisfaction"

    # The user answers in the browser before the host pushed anything.
    async with httpx.AsyncClient(timeout=10) as browser:
        answer = await browser.post(
            feedback["url"], json={"score": 1, "comment": "Spot on", "feedback_source_type": "app"}
        )
    assert answer.status_code == 201, answer.text
    (waiting,) = [row for row in await live.feedback() if row["id"] == answer.json()["id"]]
    assert waiting["target"] == {"kind": "trace", "id": trace} and waiting["task_id"] is None

    # Then the host records the turn, with the trace id the Agent reported.
    session_id, task_id = await live.push_task(trace)
    (row,) = [row for row in await live.feedback() if row["id"] == answer.json()["id"]]
    assert (row["task_id"], row["session_id"], row["user_id"]) == (task_id, session_id, "ann")
    assert (row["key"], row["score"], row["label"], row["source"], row["comment"]) == (
        "satisfaction", 1, "Satisfied", "customer", "Spot on",
    )  # fmt: skip
    tasks = (await live.api.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)).json()
    state = tasks[0]["taskMetadata"]["feedback"]
    assert (state["provided"], state["feedbackId"]) == (True, row["id"])
    published = await live.published(2)  # once against the trace, once on its task
    assert [event["task_id"] for event in published] == [None, task_id]
