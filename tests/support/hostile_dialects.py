"""The harness's write doors of the four SDK dialects (Trodo, AgentSight, Portkey, VoltAgent),
drawn and checked like the doors in tests/support/hostile_doors.py."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.compat.test_dialects import AGENTSIGHT, PORTKEY, TRODO, VOLT
from tests.support.hostile_doors import KEY_SCORES, feedback_config, stored_comment
from tests.support.hostile_harness import Fuzz
from tests.support.hostile_values import (
    JsonText,
    anything,
    json_value,
    metadata,
    mostly,
    number,
    optional,
    same,
    short_text,
    sometimes_wrong,
    text,
)

SPECIAL = ("_user", "_organisation", "_prompt", "_environment")
portkey_metadata = st.one_of(
    metadata,
    metadata.map(JsonText),
    st.fixed_dictionaries({}, optional={name: st.one_of(text, number) for name in SPECIAL}),
    st.fixed_dictionaries({"comment": sometimes_wrong(text)}),
)
# Fields track-agent reads itself; every other field is kept in the metadata.
TRACK_AGENT_FIELDS = {"event_type", "agent_id", "conversation_id", "message_id", "distinct_id",
                      "timestamp", "feedback", "satisfaction", "rating", "comment"}  # fmt: skip
instant = mostly(st.sampled_from(["2025-10-01T12:00:00Z", "2025-10-01", "0001-01-01"]), text, 6)
portkey_value = mostly(st.integers(-10, 10), sometimes_wrong(st.integers(-1000, 1000)), 8)


def special(value: Any) -> str | None:
    """How Portkey's specially indexed metadata fields are kept (their columns hold 255)."""
    return str(value)[:255] if isinstance(value, str | int | float) and value != "" else None


def trodo_feedback(data: st.DataObject) -> dict[str, Any]:
    return {
        "satisfaction": data.draw(
            optional(sometimes_wrong(st.sampled_from(["positive", "negative"])))
        ),
        "rating": data.draw(optional(sometimes_wrong(number)), label="rating"),
        "comment": data.draw(optional(sometimes_wrong(text)), label="comment"),
        "distinct_id": data.draw(optional(short_text), label="distinct_id"),
        "attributes": data.draw(optional(sometimes_wrong(metadata)), label="attributes"),
    }


async def check_trodo_row(fz: Fuzz, task_id: str, feedback: dict[str, Any]) -> None:
    (row,) = await fz.feedback_rows(task_id=task_id)
    assert row["comment"] == stored_comment(feedback["comment"])
    assert same(feedback["attributes"] or {}, row["metadata"])
    rating = feedback["rating"]
    assert row["score"] == (None if rating is None else float(rating))


async def trodo_batch(fz: Fuzz, data: st.DataObject) -> None:
    items: list[Any] = []
    expected: list[tuple[str, dict[str, Any]] | None] = []
    for _ in range(data.draw(st.integers(1, 3), label="items")):
        kind = data.draw(st.sampled_from(["feedback", "run", "junk"]), label="item kind")
        if kind == "feedback":
            _, task_id, trace = await fz.completed_task()
            feedback = trodo_feedback(data)
            items.append({"run_id": trace, "feedback": feedback})
            expected.append((task_id, feedback))
        elif kind == "run":
            run = {
                "run_id": fz.new_id("run"),
                "conversation_id": fz.new_id("conv"),
                "agent_name": data.draw(optional(text), label="agent_name"),
                "distinct_id": data.draw(optional(text), label="run distinct_id"),
                "status": data.draw(st.sampled_from(["ok", "error", "running"]), label="status"),
                "input": data.draw(st.one_of(text, json_value), label="input"),
                "output": data.draw(st.one_of(text, json_value), label="output"),
                "total_cost": data.draw(optional(number), label="total_cost"),
                "error_summary": data.draw(optional(text), label="error_summary"),
                "metadata": data.draw(optional(metadata), label="run metadata"),
            }
            items.append({"run": run, "spans": data.draw(optional(st.lists(json_value)))})
            expected.append(None)
        else:
            items.append(data.draw(anything, label="junk item"))
            expected.append(None)
    before = await fz.total()
    body = {"items": items}
    if sent := await fz.write("Trodo batch", "POST", "/compat/trodo/api/sdk/batch", body=body,
                              headers=TRODO):  # fmt: skip
        results = sent.json()["results"]
        assert all(result["status"] < 500 for result in results), results
        assert await fz.total() == before + sum(r["status"] == 201 for r in results)
        for result, item, wanted in zip(results, items, expected, strict=True):
            if result["status"] == 201 and wanted is not None:
                await check_trodo_row(fz, *wanted)
            if "task_id" in result:
                session = item["run"]["conversation_id"]
                assert [t["id"] for t in await fz.tasks(session)] == [item["run"]["run_id"]]


async def trodo_run_feedback(fz: Fuzz, data: st.DataObject) -> None:
    _, task_id, trace = await fz.completed_task()
    feedback = trodo_feedback(data)
    url = f"/compat/trodo/api/sdk/runs/{trace}/feedback"
    if await fz.write("Trodo run feedback", "POST", url, body=feedback, headers=TRODO):
        await check_trodo_row(fz, task_id, feedback)


async def trodo_track_agent(fz: Fuzz, data: st.DataObject) -> None:
    _, task_id, trace = await fz.completed_task()
    extras = data.draw(st.dictionaries(short_text, json_value, max_size=3), label="extras")
    known = {
        "event_type": data.draw(st.sampled_from(["feedback", "feedback", "view"]), label="event"),
        "message_id": trace,
        "feedback": data.draw(optional(sometimes_wrong(st.sampled_from(["positive", "negative"])))),
        "comment": data.draw(optional(sometimes_wrong(text)), label="comment"),
        "agent_id": data.draw(optional(short_text), label="agent_id"),
        "conversation_id": data.draw(optional(short_text), label="conversation_id"),
        "timestamp": data.draw(optional(instant), label="timestamp"),
    }
    body = {**extras, **known}
    url = "/compat/trodo/api/sdk/track-agent"
    sent = await fz.write("Trodo track-agent", "POST", url, body=body, headers=TRODO)
    if sent and sent.json()["status"] == "ok":
        (row,) = await fz.feedback_rows(task_id=task_id)
        kept = {k: v for k, v in body.items() if k not in TRACK_AGENT_FIELDS}
        wanted = {**kept, "agent_id": body["agent_id"], "conversation_id": body["conversation_id"]}
        assert same(wanted, row["metadata"]) and row["comment"] == stored_comment(body["comment"])


async def agentsight(fz: Fuzz, data: st.DataObject, kind: str) -> None:
    session_id, task_id, trace = await fz.completed_task()
    body: dict[str, Any] = {
        "sentiment": data.draw(
            sometimes_wrong(st.sampled_from(["positive", "neutral", "negative"]))
        ),
        "comment": data.draw(optional(sometimes_wrong(text)), label="comment"),
        "metadata": data.draw(optional(sometimes_wrong(metadata)), label="metadata"),
    }
    for extra in ("topic", "reason", "environment"):
        body[extra] = data.draw(optional(json_value), label=extra)
    if kind == "conversation":
        body["conversation_id"], url = session_id, "/compat/agentsight/api/conversation-feedbacks/"
    else:
        body.update(kind="message", message_id=trace)
        url = "/compat/agentsight/api/feedbacks/"
    if await fz.write(f"AgentSight {kind}", "POST", url, body=body, headers=AGENTSIGHT):
        where = {"session_id": session_id} if kind == "conversation" else {"task_id": task_id}
        (row,) = await fz.feedback_rows(**where)
        extras = {name: body[name] for name in ("topic", "reason", "environment")}
        wanted = {**(body["metadata"] or {}), **{k: v for k, v in extras.items() if v is not None}}
        assert same(wanted, row["metadata"]) and row["label"] == body["sentiment"]
        assert row["comment"] == stored_comment(body["comment"] or None)


async def agentsight_conversation(fz: Fuzz, data: st.DataObject) -> None:
    await agentsight(fz, data, "conversation")


async def agentsight_message(fz: Fuzz, data: st.DataObject) -> None:
    await agentsight(fz, data, "message")


def portkey_item(data: st.DataObject, trace: str) -> dict[str, Any]:
    return {
        "trace_id": trace,
        "value": data.draw(portkey_value, label="value"),
        "weight": data.draw(optional(sometimes_wrong(st.floats(0, 1))), label="weight"),
        "metadata": data.draw(optional(portkey_metadata), label="metadata"),
    }


def check_portkey_row(
    row: dict[str, Any], item: dict[str, Any], old: dict[str, Any], *, created: bool = True
) -> None:
    sent = item.get("metadata")
    kept = {**old, **(sent.value if isinstance(sent, JsonText) else sent or {})}
    assert same(kept, row["metadata"]) and row["score"] == float(item["value"])
    weight = item.get("weight")
    assert row["weight"] == (1.0 if weight is None else float(weight))
    for name in SPECIAL[1:]:
        assert row[name.removeprefix("_")] == special(kept.get(name)), name
    if created:  # `comment` and `_user` count when feedback is created, not on a change
        comment = kept.get("comment")
        assert row["comment"] == stored_comment(comment if isinstance(comment, str) else None)
        assert row["user_id"] == (special(kept.get("_user")) or "dev_user")


async def portkey_create(fz: Fuzz, data: st.DataObject) -> None:
    _, task_id, trace = await fz.completed_task()
    items = [portkey_item(data, trace) for _ in range(data.draw(st.integers(1, 2), "items"))]
    body: Any = items if data.draw(st.booleans(), label="bulk") else items[0]
    url = "/compat/portkey/v1/feedback"
    if sent := await fz.write("Portkey create", "POST", url, body=body, headers=PORTKEY):
        rows = {row["id"]: row for row in await fz.feedback_rows(task_id=task_id)}
        stored = sent.json()["feedback_ids"]
        sent_items = items if isinstance(body, list) else [body]
        for feedback_id, item in zip(stored, sent_items, strict=True):
            check_portkey_row(rows[feedback_id], item, {})


async def portkey_update(fz: Fuzz, data: st.DataObject) -> None:
    _, task_id, trace = await fz.completed_task()
    created = await fz.client.post(
        "/compat/portkey/v1/feedback",
        json={"trace_id": trace, "value": 1, "metadata": {"kept": "yes"}},
        headers=PORTKEY,
    )
    (feedback_id,) = created.json()["feedback_ids"]
    fields = {
        "value": portkey_value,
        "weight": sometimes_wrong(st.floats(0, 1)),
        "metadata": sometimes_wrong(portkey_metadata),
    }
    some = st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3, unique=True)
    body = {name: data.draw(fields[name], label=name) for name in data.draw(some, "fields")}

    async def state() -> int:
        return hash(str(await fz.feedback_rows(task_id=task_id)))

    url = f"/compat/portkey/v1/feedback/{feedback_id}"
    if await fz.write("Portkey update", "PUT", url, body=body, headers=PORTKEY, count=state):
        (row,) = await fz.feedback_rows(task_id=task_id)
        check_portkey_row(row, {"value": 1, **body}, {"kept": "yes"}, created=False)


async def volt_feedback(fz: Fuzz, data: st.DataObject) -> None:
    _, task_id, trace = await fz.completed_task()
    key = data.draw(st.sampled_from(sorted(KEY_SCORES)), label="key")
    body = {
        "trace_id": trace,
        "key": key,
        "score": data.draw(mostly(KEY_SCORES[key], optional(number), 8), label="score"),
        "value": data.draw(optional(json_value), label="value"),
        "correction": data.draw(optional(json_value), label="correction"),
        "comment": data.draw(optional(sometimes_wrong(text)), label="comment"),
        "feedback_source": data.draw(optional(metadata), label="feedback_source"),
        "created_at": data.draw(optional(instant), label="created_at"),
    }
    url = "/compat/voltagent/api/public/feedback"
    if await fz.write("VoltAgent feedback", "POST", url, body=body, headers=VOLT):
        (row,) = await fz.feedback_rows(task_id=task_id)
        wanted = {"feedback_source": body["feedback_source"]} if body["feedback_source"] else {}
        wanted |= {name: body[name] for name in ("value", "correction") if body[name] is not None}
        assert same(wanted, row["metadata"]) and row["comment"] == stored_comment(body["comment"])
        value = body["value"]
        assert row["label"] == (value if isinstance(value, str) and len(value) <= 255 else None)


async def volt_tokens(fz: Fuzz, data: st.DataObject) -> None:
    _, _, trace = await fz.completed_task()
    body = {
        "trace_id": data.draw(st.sampled_from([trace, fz.new_id("later")]), label="trace"),
        "feedback_key": fz.new_id("key")[:64],
        "feedback_config": data.draw(feedback_config, label="feedback_config"),
        "expires_in": data.draw(optional(sometimes_wrong(st.fixed_dictionaries(
            {}, optional={"days": number, "hours": number, "minutes": number})))),
        "feedback_source_type": data.draw(optional(sometimes_wrong(st.just("model")))),
    }  # fmt: skip
    url = "/compat/voltagent/api/public/feedback/tokens"
    if link := await fz.write("VoltAgent tokens", "POST", url, body=body, headers=VOLT):
        state = (await fz.client.get(link.json()["url"])).json()
        sent = [c["label"] for c in (body["feedback_config"] or {}).get("categories", [])]
        assert [c["label"] for c in state["feedback_config"].get("categories", [])] == sent
