"""Each dialect's wire contract and our rules under it, in process (the real SDKs: tests/sdk)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

from tests.support.dialects import (
    AGENTSIGHT_KEY,
    OPERATOR,
    OPERATOR_KEY,
    PORTKEY_KEY,
    TRODO_SITE,
    VOLT_PUBLIC,
    VOLT_SECRET,
    dialect_options,
    push_task,
)
from tests.support.harness import Harness, HarnessFactory

TRODO = {"X-Trodo-Site-Id": TRODO_SITE}
AGENTSIGHT = {"Authorization": f"Api-Key {AGENTSIGHT_KEY}"}
PORTKEY = {"x-portkey-api-key": PORTKEY_KEY}
VOLT = {"X-Public-Key": VOLT_PUBLIC, "X-Secret-Key": VOLT_SECRET}


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness(**dialect_options())


async def pushed_task(harness: Harness, trace_id: str, user: str = "ann") -> tuple[str, str]:
    return await push_task(harness.client, trace_id, user)


async def feedback_rows(harness: Harness, **filters: str) -> list[dict[str, Any]]:
    response = await harness.client.get("/api/v1/feedback", params=filters, headers=OPERATOR)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()
    return rows


def trodo_item(run_id: str, **feedback: Any) -> dict[str, Any]:
    base = {
        "satisfaction": None,
        "rating": None,
        "comment": None,
        "distinct_id": None,
        "attributes": {},
    }
    return {"run_id": run_id, "feedback": {**base, **feedback}}


async def test_trodo_batch_answers_one_status_per_item_in_order(harness: Harness) -> None:
    _, task_id = await pushed_task(harness, "run-1")
    run = {
        "run": {
            "run_id": "run-2",
            "agent_name": "support",
            "conversation_id": "conv-9",
            "distinct_id": "ben",
            "status": "ok",
            "input": "Hi",
            "output": "Hello",
            "total_cost": 0.0042,
            "attributes": {"trodo.prompts": [{"name": "greet", "version": 3}]},
        },
        "spans": [{"span_id": "s1", "run_id": "run-2", "kind": "llm", "model": "gpt-4o-mini"}],
    }
    items = [
        trodo_item(
            "run-1",
            satisfaction="positive",
            rating=5,
            comment="Found it",
            distinct_id="ann",
            attributes={"plan": "pro"},
        ),
        {"spans": [{"span_id": "x"}]},
        run,
        trodo_item("run-2", satisfaction="negative"),
        trodo_item("no-such-run", rating=3),
        trodo_item("run-1", satisfaction="negative"),
    ]
    response = await harness.client.post(
        "/compat/trodo/api/sdk/batch", json={"items": items}, headers=TRODO
    )

    assert response.status_code == 200
    statuses = [result["status"] for result in response.json()["results"]]
    assert statuses == [201, 200, 200, 201, 404, 409]
    assert "no-such-run" in response.json()["results"][4]["error"]
    rows = {row["task_id"]: row for row in await feedback_rows(harness, key="trodo")}
    first = rows[task_id]
    assert (first["rating"], first["score"], first["label"], first["comment"]) == (
        "up",
        5,
        "positive",
        "Found it",
    )
    assert (first["user_id"], first["source"], first["via"], first["metadata"]) == (
        "ann",
        "customer",
        "trodo",
        {"plan": "pro"},
    )
    transcript = (
        await harness.client.get("/api/v1/sessions/conv-9/tasks", headers=OPERATOR)
    ).json()
    assert [
        (t["id"], t["status"], t["model"], t["prompt_version"], t["cost"], t["user_id"])
        for t in transcript
    ] == [("run-2", "completed", "gpt-4o-mini", "greet@3", 0.0042, "ben")]
    assert transcript[0]["taskMetadata"]["feedback"]["type"] == "down"


async def test_trodo_takes_gzip_refuses_unknown_sites_and_falls_back_per_run(
    harness: Harness,
) -> None:
    await pushed_task(harness, "run-g")
    body = gzip.compress(json.dumps({"items": [trodo_item("run-g", comment="zipped")]}).encode())
    zipped = await harness.client.post(
        "/compat/trodo/api/sdk/batch",
        content=body,
        headers={**TRODO, "Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    assert [r["status"] for r in zipped.json()["results"]] == [201]
    stranger = await harness.client.post(
        "/compat/trodo/api/sdk/batch", json={"items": []}, headers={"X-Trodo-Site-Id": "other"}
    )
    assert stranger.status_code == 401
    await pushed_task(harness, "run-h")
    legacy = await harness.client.post(
        "/compat/trodo/api/sdk/runs/run-h/feedback",
        json=trodo_item("run-h", satisfaction="positive")["feedback"],
        headers=TRODO,
    )
    assert legacy.status_code == 201
    assert [row["comment"] for row in await feedback_rows(harness, key="trodo")].count(
        "zipped"
    ) == 1


async def test_trodo_1x_track_agent_with_flat_properties(harness: Harness) -> None:
    _, task_id = await pushed_task(harness, "msg_01jf3t8r")
    response = await harness.client.post(
        "/compat/trodo/api/sdk/track-agent",
        json={
            "event_type": "feedback",
            "agent_id": "agt_abc12345",
            "conversation_id": "conv_9kx2m7pq",
            "message_id": "msg_01jf3t8r",
            "distinct_id": "ann",
            "feedback": "positive",
            "timestamp": "2026-11-20T10:00:00Z",
            "rating": 5,
            "comment": "Exactly it",
            "channel": "web",
        },
        headers=TRODO,
    )
    assert response.status_code == 200, response.text
    (row,) = await feedback_rows(harness, key="trodo")
    assert (row["task_id"], row["rating"], row["score"], row["comment"]) == (
        task_id,
        "up",
        5,
        "Exactly it",
    )
    assert row["event_time"] == 1795168800000
    assert row["metadata"] == {
        "channel": "web",
        "agent_id": "agt_abc12345",
        "conversation_id": "conv_9kx2m7pq",
    }


async def test_agentsight_conversation_feedback_is_201_json_and_customer(harness: Harness) -> None:
    session_id, _ = await pushed_task(harness, "as-1")
    response = await harness.client.post(
        "/compat/agentsight/api/conversation-feedbacks/",
        json={
            "sentiment": "neutral",
            "conversation_id": session_id,
            "comment": "Okay",
            "metadata": {"rating": 3},
        },
        headers=AGENTSIGHT,
    )
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    (row,) = await feedback_rows(harness, key="sentiment")
    assert (row["target"], row["label"], row["score"], row["rating"], row["source"]) == (
        {"kind": "session", "id": session_id},
        "neutral",
        0,
        None,
        "customer",
    )
    assert (row["user_id"], row["metadata"]) == ("ann", {"rating": 3})
    again = await harness.client.post(
        "/compat/agentsight/api/conversation-feedbacks/",
        json={"sentiment": "positive", "conversation_id": session_id},
        headers=AGENTSIGHT,
    )
    assert again.status_code == 409


async def test_agentsight_bearer_operator_key_is_platform_and_bad_keys_are_401(
    harness: Harness,
) -> None:
    session_id, task_id = await pushed_task(harness, "as-2")
    response = await harness.client.post(
        "/compat/agentsight/api/feedbacks/",
        json={"kind": "message", "message": "as-2", "sentiment": "negative", "reason": "wrong"},
        headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
    )
    assert response.status_code == 201, response.text
    (row,) = await feedback_rows(harness, key="sentiment")
    assert (row["task_id"], row["source"], row["score"], row["rating"]) == (
        task_id,
        "platform",
        -1,
        "down",
    )
    wrong = await harness.client.post(
        "/compat/agentsight/api/feedbacks/",
        json={},
        headers={"Authorization": "Api-Key ags_" + "f" * 32 + "_ffffff"},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_credentials")
    me = await harness.client.get("/compat/agentsight/api/me/", headers=AGENTSIGHT)
    assert me.json()["agent_id"] == 7
    long = await harness.client.post(
        "/compat/agentsight/api/feedbacks/",
        json={
            "kind": "conversation",
            "conversation_id": session_id,
            "sentiment": "positive",
            "comment": "x" * 5001,
        },
        headers=AGENTSIGHT,
    )
    assert (long.status_code, "5000" in long.json()["detail"]) == (400, True)


async def test_portkey_create_bulk_update_and_range_errors(harness: Harness) -> None:
    _, task_id = await pushed_task(harness, "trace-2026-abc")
    one = await harness.client.post(
        "/compat/portkey/v1/feedback",
        json={
            "trace_id": "trace-2026-abc",
            "value": 5,
            "weight": 0.8,
            "metadata": {
                "_user": "user-123",
                "_organisation": "org-9",
                "_prompt": "prompt-xyz",
                "_environment": "production",
                "comment": "Helpful",
            },
        },
        headers=PORTKEY,
    )
    assert one.status_code == 200 and one.headers["content-type"] == "application/json"
    assert one.json()["status"] == "success" and len(one.json()["feedback_ids"]) == 1
    bulk = await harness.client.post(
        "/compat/portkey/v1/feedback",
        json=[
            {"trace_id": "trace-2026-abc", "value": -2, "weight": 0.3},
            {"trace_id": "trace-2026-abc", "value": 10},
        ],
        headers=PORTKEY,
    )
    assert len(bulk.json()["feedback_ids"]) == 2
    rows = await feedback_rows(harness, key="portkey")
    assert sorted((r["score"], r["weight"]) for r in rows) == [(-2, 0.3), (5, 0.8), (10, 1.0)]
    indexed = await feedback_rows(
        harness, organisation="org-9", environment="production", prompt="prompt-xyz"
    )
    assert [(r["user_id"], r["comment"], r["task_id"]) for r in indexed] == [
        ("user-123", "Helpful", task_id)
    ]

    feedback_id = one.json()["feedback_ids"][0]
    updated = await harness.client.put(
        f"/compat/portkey/v1/feedback/{feedback_id}",
        json={"value": -10, "weight": 1},
        headers=PORTKEY,
    )
    assert updated.json()["feedback_ids"] == [feedback_id]
    (changed,) = await feedback_rows(harness, organisation="org-9")
    assert (changed["score"], changed["weight"]) == (-10, 1.0)

    for bad in (
        {"trace_id": "trace-2026-abc", "value": 42},
        {"trace_id": "trace-2026-abc", "value": "7"},
        {"trace_id": "trace-2026-abc", "value": 1, "weight": 3.5},
    ):
        refused = await harness.client.post(
            "/compat/portkey/v1/feedback", json=bad, headers=PORTKEY
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["message"] == refused.json()["detail"]
    mixed = await harness.client.post(
        "/compat/portkey/v1/feedback",
        json=[{"trace_id": "trace-2026-abc", "value": 1}, {"trace_id": "nope", "value": 1}],
        headers=PORTKEY,
    )
    assert mixed.status_code == 404
    assert len(await feedback_rows(harness, key="portkey")) == 3  # all or nothing
    assert (
        await harness.client.post(
            "/compat/portkey/v1/feedback", json={}, headers={"x-portkey-api-key": "wrong"}
        )
    ).status_code == 401


async def test_voltagent_tokens_ingest_and_direct_create(harness: Harness) -> None:
    _, task_id = await pushed_task(harness, "0af7651916cd43dd8448eb211c80319c")
    created = await harness.client.post(
        "/compat/voltagent/api/public/feedback/tokens",
        json={
            "trace_id": "0af7651916cd43dd8448eb211c80319c",
            "feedback_key": "satisfaction",
            "feedback_config": None,
            "expires_in": {"hours": 6},
        },
        headers=VOLT,
    )
    assert created.status_code == 201, created.text
    token = created.json()
    assert token["url"].startswith("http://testserver/compat/voltagent/api/public/feedback/ingest/")
    assert token["feedback_config"]["type"] == "categorical"
    preflight = await harness.client.options(
        token["url"],
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["access-control-allow-origin"] == "*"
    answer = await harness.client.post(
        token["url"],
        json={"score": 1, "comment": "Resolved", "feedback_source_type": "app"},
        headers={"Origin": "https://app.example"},
    )
    assert answer.status_code == 201 and answer.headers["access-control-allow-origin"] == "*"
    (row,) = await feedback_rows(harness, key="satisfaction")
    assert (row["task_id"], row["score"], row["label"], row["source"], row["via"]) == (
        task_id,
        1,
        "Satisfied",
        "customer",
        "voltagent",
    )
    state = (
        await harness.client.get(f"/api/v1/sessions/{row['session_id']}/tasks", headers=OPERATOR)
    ).json()
    assert state[0]["taskMetadata"]["feedback"]["feedbackId"] == row["id"]
    assert (await harness.client.post(token["url"], json={"score": 0})).status_code == 409

    direct = await harness.client.post(
        "/compat/voltagent/api/public/feedback",
        json={
            "trace_id": task_id,
            "key": "accuracy",
            "score": 4.5,
            "comment": "Close",
            "feedback_config": {"type": "continuous", "min": 0, "max": 5},
            "feedback_source_type": "model",
            "created_at": "2026-11-21T08:00:00.000Z",
        },
        headers=VOLT,
    )
    assert direct.status_code == 201, direct.text
    assert direct.json()["score"] == 4.5
    # The key exists now: its stored config wins over a different one sent later.
    later = await harness.client.post(
        "/compat/voltagent/api/public/feedback",
        json={
            "trace_id": task_id,
            "key": "accuracy",
            "score": 9,
            "feedback_config": {"type": "continuous", "min": 0, "max": 10},
        },
        headers=VOLT,
    )
    assert later.status_code == 400 and "from 0 to 5" in later.json()["message"]
    bad_keys = await harness.client.post(
        "/compat/voltagent/api/public/feedback/tokens",
        json={},
        headers={"X-Public-Key": VOLT_PUBLIC, "X-Secret-Key": "sk_wrong"},
    )
    assert bad_keys.status_code == 401 and bad_keys.json()["message"]


async def test_a_thumbs_style_second_reaction_is_refused_across_dialects(harness: Harness) -> None:
    session_id, task_id = await pushed_task(harness, "shared-trace")
    widget = await harness.client.post(
        "/api/v1/feedback",
        json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up", "userId": "ann"},
        headers=OPERATOR,
    )
    assert widget.status_code == 202
    trodo = await harness.client.post(
        "/compat/trodo/api/sdk/batch",
        json={"items": [trodo_item("shared-trace", satisfaction="negative")]},
        headers=TRODO,
    )
    agentsight = await harness.client.post(
        "/compat/agentsight/api/feedbacks/",
        json={"kind": "message", "message_id": "shared-trace", "sentiment": "positive"},
        headers=AGENTSIGHT,
    )
    volt = await harness.client.post(
        "/compat/voltagent/api/public/feedback",
        json={"trace_id": "shared-trace", "key": "thumbs", "score": False},
        headers=VOLT,
    )
    assert (trodo.json()["results"][0]["status"], agentsight.status_code, volt.status_code) == (
        409,
        409,
        409,
    )
    # A key that allows many values per target is not a reaction and still lands.
    portkey = await harness.client.post(
        "/compat/portkey/v1/feedback",
        json={"trace_id": "shared-trace", "value": 3},
        headers=PORTKEY,
    )
    assert portkey.status_code == 200
    assert sorted(row["key"] for row in await feedback_rows(harness)) == ["portkey", "thumbs"]


async def test_a_dialect_that_is_not_configured_names_its_config_key(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness()
    response = await harness.client.post(
        "/compat/portkey/v1/feedback", json={"trace_id": "t", "value": 1}
    )
    assert response.status_code == 404
    assert "apps[0].app_config.compat.portkey" in response.json()["detail"]


ODD_BODIES: list[Any] = [
    None, [], {}, "text", 5, [None, 1],
    {"items": [[], None, {"feedback": []}, {"run": {"run_id": []}},
               {"run": {"run_id": "r", "status": []}},
               {"run_id": {}, "feedback": {"satisfaction": [], "rating": "x", "comment": 5}}]},
    {"run_id": "r", "feedback": {"satisfaction": {}}},
    {"trace_id": [], "value": {}, "weight": "1", "metadata": "not json"},
    {"trace_id": "t", "value": 1e309}, {"trace_id": "t", "value": float("nan")},
    {"trace_id": "t", "value": 1, "weight": float("inf")}, {"trace_id": "t", "metadata": []},
    {"kind": [], "sentiment": {}}, {"kind": "message", "message": [], "sentiment": "positive"},
    {"sentiment": [], "conversation_id": {}}, {"sentiment": "positive", "conversation": True},
    {"trace_id": "t", "key": [], "feedback_config": []},
    {"trace_id": "t", "feedback_key": "k", "feedback_config": {"type": []}, "expires_in": []},
    {"trace_id": "t", "feedback_key": "k", "expires_at": "yesterday"},
    {"trace_id": "t", "key": "k", "id": [], "created_at": 5, "feedback_source_type": {}},
    {"score": [], "comment": {}, "feedback_source_type": {}, "rating": []},
    {"event_type": "feedback", "message_id": [], "feedback": {}, "timestamp": []},
]  # fmt: skip
COMPAT_POSTS = [
    ("/compat/trodo/api/sdk/batch", TRODO),
    ("/compat/trodo/api/sdk/runs/r/feedback", TRODO),
    ("/compat/trodo/api/sdk/track-agent", TRODO),
    ("/compat/agentsight/api/conversation-feedbacks/", AGENTSIGHT),
    ("/compat/agentsight/api/feedbacks/", AGENTSIGHT),
    ("/compat/portkey/v1/feedback", PORTKEY),
    ("/compat/voltagent/api/public/feedback/tokens", VOLT),
    ("/compat/voltagent/api/public/feedback", VOLT),
    ("/compat/voltagent/api/public/feedback/ingest/nope", {}),
]


@pytest.mark.parametrize(("path", "headers"), COMPAT_POSTS)
async def test_odd_bodies_never_cause_a_5xx(
    harness: Harness, path: str, headers: dict[str, str]
) -> None:
    await pushed_task(harness, "t")
    await pushed_task(harness, "r")
    for body in ODD_BODIES:
        response = await harness.client.post(path, content=json.dumps(body), headers={
            **headers, "Content-Type": "application/json"})  # fmt: skip
        assert response.status_code < 500, (body, response.text)
        answer = response.json()
        if response.status_code >= 400:
            assert {"detail", "code"} <= set(answer), (body, answer)
        for result in answer.get("results", []) if isinstance(answer, dict) else []:
            assert result["status"] < 500, (body, result)


async def test_satisfaction_analytics_count_customer_feedback_unless_asked(
    harness: Harness,
) -> None:
    session_id, _ = await pushed_task(harness, "an-1")
    other_session, _ = await pushed_task(harness, "an-2")
    await harness.client.post(
        "/compat/agentsight/api/conversation-feedbacks/",
        json={"sentiment": "positive", "conversation_id": session_id},
        headers=AGENTSIGHT,
    )
    await harness.client.post(
        "/compat/agentsight/api/conversation-feedbacks/",
        json={"sentiment": "negative", "conversation_id": other_session},
        headers={"Authorization": f"Bearer {OPERATOR_KEY}"},
    )
    for value, weight in ((10, 0.5), (-2, 1.0)):
        await harness.client.post(
            "/compat/portkey/v1/feedback",
            json={"trace_id": "an-1", "value": value, "weight": weight},
            headers=PORTKEY,
        )

    customer = (await harness.client.get("/api/v1/feedback/summary", headers=OPERATOR)).json()
    assert customer["source"] == "customer"
    by_key = {row["key"]: row for row in customer["keys"]}
    assert (by_key["sentiment"]["count"], by_key["sentiment"]["up"]) == (1, 1)
    assert by_key["portkey"]["mean_score"] == 4  # (10 - 2) / 2
    assert by_key["portkey"]["weighted_mean_score"] == 2  # (10 * 0.5 - 2 * 1) / 1.5
    everyone = await harness.client.get("/api/v1/feedback/summary", params={"source": "all"},
                                    headers=OPERATOR)  # fmt: skip
    sentiment = {row["key"]: row for row in everyone.json()["keys"]}["sentiment"]
    assert (sentiment["count"], sentiment["up"], sentiment["down"], sentiment["mean_score"]) == (
        2, 1, 1, 0)  # fmt: skip


async def test_a_gzip_body_is_bounded_when_unpacked(harness: Harness) -> None:
    headers = {**TRODO, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    bomb = gzip.compress(b'{"items": [' + b" " * 1_000_000 + b"]}")
    assert len(bomb) < 65536  # small on the wire, a megabyte unpacked
    too_big = await harness.client.post(
        "/compat/trodo/api/sdk/batch", content=bomb, headers=headers
    )
    assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
    broken = await harness.client.post(
        "/compat/trodo/api/sdk/batch", content=b"nope", headers=headers
    )
    assert broken.status_code == 400
