"""The harness's write doors of the widget, the JSON API and feedback links. Each door draws
one hostile but plausible request, sends it through `Fuzz.write` (no 5xx, hostile input
refused, a refusal stores nothing) and, when it is accepted, reads it back and compares."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from markupsafe import escape

from tests.compat.test_dialects import VOLT
from tests.support.dialects import OPERATOR
from tests.support.hostile_harness import Fuzz
from tests.support.hostile_values import (
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

REASONS = {"up": ("Accurate", "=cmd()", "Ünïcödé ✓"), "down": ("\u202eTOO LONG", " spaced ", "-1")}
HTMX = {"HX-Request": "true"}
rating = sometimes_wrong(st.sampled_from(["up", "down"]))
# What each key takes (tests/test_boundary_harness.py declares grade and note).
KEY_SCORES = {
    "thumbs": st.sampled_from([True, False, 0, 1]),
    "grade": st.floats(0, 10),
    "note": st.none(),
}
form_rating = mostly(st.sampled_from(["up", "down"]), text, 12)


def stored_comment(comment: Any) -> str | None:
    """A comment as stored: stripped, None when blank."""
    return comment.strip() or None if isinstance(comment, str) else None


def chosen(reasons: Any, rated: Any) -> list[str]:
    offered = REASONS.get(rated, ()) if isinstance(rated, str) else ()
    return [reason for reason in offered if reason in (reasons or [])]


def reasons_for(data: st.DataObject, rated: Any) -> list[str]:
    """Mostly reasons offered for the rating; now and then any text."""
    offered = REASONS.get(rated, ()) if isinstance(rated, str) else ()
    pick = mostly(st.sampled_from(offered), short_text, 12) if offered else short_text
    drawn: list[str] = data.draw(st.lists(pick, max_size=2, unique=True), label="reasons")
    return drawn


def _form_text(data: st.DataObject, label: str) -> str:
    return data.draw(st.one_of(text, st.just(""), text.map(lambda t: f"  {t}\n")), label=label)


async def widget_message(fz: Fuzz, data: st.DataObject) -> None:
    session_id = await fz.session()
    message = _form_text(data, "message")
    layout = data.draw(st.sampled_from(["chat", "embed"]), label="layout")
    headers = HTMX if data.draw(st.booleans(), label="htmx") else {}

    async def turns() -> int:
        return len(await fz.tasks(session_id))

    form = [("message", message), ("layout", layout)]
    url = f"/chat/{session_id}/messages"
    if await fz.write("widget message", "POST", url, form=form, headers=headers, count=turns):
        (task,) = await fz.tasks(session_id)
        assert task["request_text"] == message.strip()
        page = await fz.client.get(f"/chat/{session_id}")
        assert page.status_code == 200 and str(escape(message.strip())) in page.text


async def widget_feedback(fz: Fuzz, data: st.DataObject) -> None:
    session_id, task_id, _ = await fz.completed_task()
    rated = data.draw(form_rating, label="rating")
    comment = _form_text(data, "comment")
    reasons = reasons_for(data, rated)
    form = [("task_id", task_id), ("rating", rated), ("comment", comment)]
    form += [("reasons", reason) for reason in reasons]
    headers = HTMX if data.draw(st.booleans(), label="htmx") else {}
    url = f"/chat/{session_id}/feedback"
    if await fz.write("widget feedback", "POST", url, form=form, headers=headers):
        (row,) = await fz.feedback_rows(task_id=task_id)
        assert (row["rating"], row["comment"]) == (rated, stored_comment(comment))
        assert row["reasons"] == chosen(reasons, rated)


async def sam_feedback(fz: Fuzz, data: st.DataObject) -> None:
    session_id, task_id, _ = await fz.completed_task()
    rated = data.draw(rating, label="feedbackType")
    body = {
        "taskId": task_id,
        "sessionId": session_id,
        "feedbackType": rated,
        "feedbackText": data.draw(optional(sometimes_wrong(text)), label="feedbackText"),
        "reasons": reasons_for(data, rated) if data.draw(st.booleans(), "reasons?") else None,
        "clientVersion": data.draw(json_value, label="ignored field"),
    }
    if await fz.write("SAM POST /api/v1/feedback", "POST", "/api/v1/feedback", body=body):
        (row,) = await fz.feedback_rows(task_id=task_id)
        assert row["comment"] == stored_comment(body["feedbackText"])
        assert row["reasons"] == chosen(body["reasons"], body["feedbackType"])


async def push_session(fz: Fuzz, data: st.DataObject) -> None:
    session_id = fz.new_id("s")
    body = {
        "id": session_id,
        "user_id": "dev_user",
        "title": data.draw(optional(sometimes_wrong(short_text)), label="title"),
        "agent_id": data.draw(optional(short_text), label="agent_id"),
        "metadata": data.draw(optional(sometimes_wrong(metadata)), label="metadata"),
    }

    async def exists() -> int:
        found = await fz.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)
        return int(found.status_code == 200)

    created = await fz.write(
        "push: sessions", "POST", "/api/v1/sessions", body=body, headers=OPERATOR, count=exists
    )
    if created:
        answer = created.json()
        assert same(body["metadata"] or {}, answer["metadata"]) and answer["title"] == body["title"]
        assert await exists() and (await fz.client.get(f"/chat/{session_id}")).status_code == 200
        assert (await fz.client.get("/")).status_code == 200


async def push_task(fz: Fuzz, data: st.DataObject) -> None:
    session_id = await fz.session()
    body = {
        "request_text": data.draw(sometimes_wrong(text), label="request_text"),
        "status": data.draw(st.sampled_from(["running", "completed"]), label="status"),
        "response_text": data.draw(text, label="response_text"),
        "model": data.draw(optional(short_text), label="model"),
        "prompt_version": data.draw(optional(short_text), label="prompt_version"),
        "cost": data.draw(optional(sometimes_wrong(number)), label="cost"),
        "metadata": data.draw(optional(metadata), label="metadata"),
    }

    async def turns() -> int:
        return len(await fz.tasks(session_id))

    url = f"/api/v1/sessions/{session_id}/tasks"
    if await fz.write("push: tasks", "POST", url, body=body, headers=OPERATOR, count=turns):
        (task,) = await fz.tasks(session_id)
        for name in ("request_text", "response_text", "model", "prompt_version", "status"):
            assert task[name] == body[name], name
        cost = None if body["cost"] is None else float(body["cost"])
        assert task["cost"] == cost and isinstance(task["cost"], float | None)
        assert same({**(body["metadata"] or {}), "feedback": None}, task["taskMetadata"])
        page = await fz.client.get(f"/chat/{session_id}")
        assert page.status_code == 200 and str(escape(body["request_text"])) in page.text


async def patch_task(fz: Fuzz, data: st.DataObject) -> None:
    session_id = await fz.session()
    created = await fz.client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "Q"}, headers=OPERATOR
    )
    task_id = created.json()["id"]
    fields = {
        "append_text": sometimes_wrong(text),
        "response_text": text,
        "status": sometimes_wrong(st.sampled_from(["completed", "failed", "cancelled"])),
        "error": optional(text),
        "priority": anything,  # not a field of the push API: refused by name
    }
    some = st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=2, unique=True)
    names = data.draw(some, label="fields")
    body = {name: data.draw(fields[name], label=name) for name in names}

    async def state() -> int:
        return hash(str(await fz.tasks(session_id)))

    url = f"/api/v1/tasks/{task_id}"
    if await fz.write("push: PATCH task", "PATCH", url, body=body, headers=OPERATOR, count=state):
        (task,) = await fz.tasks(session_id)
        text_now = body.get("response_text", body.get("append_text", ""))
        assert task["response_text"] == text_now and task["error"] == body.get("error")
        assert task["status"] == (body.get("status") or "running")  # null leaves it running
        assert (await fz.client.get(f"/chat/{session_id}")).status_code == 200


async def task_event(fz: Fuzz, data: st.DataObject) -> None:
    _, task_id, _ = await fz.completed_task()
    body = {
        "direction": data.draw(sometimes_wrong(st.sampled_from(["request", "response"])), "dir"),
        "topic": data.draw(optional(short_text), label="topic"),
        "payload": data.draw(st.one_of(json_value, metadata), label="payload"),
    }
    url = f"/api/v1/tasks/{task_id}/events"
    if event := await fz.write("push: task events", "POST", url, body=body, headers=OPERATOR):
        assert same(body["payload"], event.json()["payload"])


category = st.fixed_dictionaries({"value": number, "label": short_text})
bounds = st.lists(number, min_size=2, max_size=2).map(sorted)
feedback_config = sometimes_wrong(
    st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("categorical"), "categories": st.lists(category, min_size=1)}
        ),
        bounds.map(lambda pair: {"type": "continuous", "min": pair[0], "max": pair[1]}),
        st.fixed_dictionaries({"type": st.just("freeform")}),
    )
)


async def link_tokens(fz: Fuzz, data: st.DataObject) -> None:
    _, _, trace = await fz.completed_task()
    body = {
        "task_id": trace,
        "key": fz.new_id("key")[:64],
        "feedback_config": data.draw(feedback_config, label="feedback_config"),
        "expires_in_seconds": data.draw(optional(sometimes_wrong(st.integers(60, 10**6)))),
        "source": data.draw(sometimes_wrong(st.sampled_from(["customer", "model"])), "source"),
    }
    url = "/api/v1/feedback/tokens"
    if link := await fz.write("links: create", "POST", url, body=body, headers=OPERATOR):
        state = (await fz.client.get(link.json()["url"])).json()
        sent_labels = [c["label"] for c in (body["feedback_config"] or {}).get("categories", [])]
        assert [c["label"] for c in state["feedback_config"].get("categories", [])] == sent_labels


async def answer_link(fz: Fuzz, data: st.DataObject, *, volt: bool) -> None:
    """An answer to a fresh link of one of three kinds: thumbs, a 0..10 grade, free text."""
    _, task_id, trace = await fz.completed_task()
    key = data.draw(st.sampled_from(sorted(KEY_SCORES)), label="link key")
    if volt:
        issued = await fz.client.post(
            "/compat/voltagent/api/public/feedback/tokens",
            json={"trace_id": trace, "feedback_key": key},
            headers=VOLT,
        )
    else:
        issued = await fz.client.post(
            "/api/v1/feedback/tokens", json={"task_id": trace, "key": key}, headers=OPERATOR
        )
    assert issued.status_code == 201, issued.text
    body = {
        "score": data.draw(mostly(KEY_SCORES[key], optional(number), 8), label="score"),
        "rating": data.draw(optional(rating), label="rating") if key == "thumbs" else None,
        "label": data.draw(optional(mostly(short_text, sometimes_wrong(text), 6)), "label"),
        "comment": data.draw(optional(sometimes_wrong(text)), label="comment"),
    }
    door = "VoltAgent ingest" if volt else "links: ingest"
    if await fz.write(door, "POST", issued.json()["url"], body=body):
        (row,) = await fz.feedback_rows(task_id=task_id)
        assert row["comment"] == stored_comment(body["comment"]) and row["key"] == key
        if key == "note":  # a label that is not text is not one
            assert row["label"] == (body["label"] if isinstance(body["label"], str) else None)


async def link_ingest(fz: Fuzz, data: st.DataObject) -> None:
    await answer_link(fz, data, volt=False)


async def volt_ingest(fz: Fuzz, data: st.DataObject) -> None:
    await answer_link(fz, data, volt=True)
