"""Feedback into Arize Phoenix, end to end: turns chatted through the widget are exported as
spans, feedback given through the widget and a dialect shows as annotations on them, read
back through Phoenix's own REST API (a real Phoenix, tests/support/phoenix.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import OutboxEvent
from app.publishing.phoenix import PHOENIX
from tests.support import eventually, new_name
from tests.support.agent_turns import HTMX, finished, new_chat, send
from tests.support.console import REASONS
from tests.support.dialects import PORTKEY_KEY, dialect_options
from tests.support.harness import Harness, HarnessFactory, served
from tests.support.phoenix import PhoenixServer, attributes

PORTKEY = {"x-portkey-api-key": PORTKEY_KEY}


def traced(phoenix: PhoenixServer, project: str) -> dict[str, Any]:
    """config_dict options: every turn exported to `phoenix` under `project`, feedback
    annotated there, the widget's reasons and the dialects on."""
    return dialect_options(
        observability={
            "otlp": {"endpoint": phoenix.traces_url, "service_name": project},
            "phoenix": {"url": phoenix.url},
        },
        feedback_reasons=REASONS,
    )


@pytest.fixture(autouse=True)
def _export_spans_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK exports every 5 s by default; a test need not wait that long for each span.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")


async def spans_of(phoenix: PhoenixServer, project: str) -> dict[str, dict[str, Any]]:
    """The project's spans by the widget task they trace."""
    spans = await asyncio.to_thread(phoenix.spans, project)
    return {attributes(span)["feedback_widget.task_id"]: span for span in spans}


async def annotations_on(phoenix: PhoenixServer, project: str, span_id: str) -> list[Any]:
    return await asyncio.to_thread(phoenix.annotations, project, [span_id])


async def rate_in_widget(
    harness: Harness, session_id: str, task_id: str, rating: str, comment: str, *reasons: str
) -> None:
    form = {"task_id": task_id, "rating": rating, "comment": comment, "reasons": list(reasons)}
    response = await harness.client.post(f"/chat/{session_id}/feedback", data=form, headers=HTMX)
    assert response.status_code == 204, response.text


async def feedback_id_of(harness: Harness, task_id: str) -> str:
    rows = (await harness.client.get("/api/v1/feedback", params={"task_id": task_id})).json()
    (row,) = rows
    return str(row["id"])


async def chatted(harness: Harness, session_id: str, text: str, status: str) -> str:
    task_id = await send(harness, session_id, text)
    assert (await finished(harness, task_id)).status == status
    return task_id


async def test_each_turn_is_a_genai_span_and_widget_feedback_annotates_it(
    phoenix: PhoenixServer, make_harness: HarnessFactory
) -> None:
    project = new_name("fw")
    harness = await make_harness(**traced(phoenix, project))
    session_id = await new_chat(harness)
    answered = await chatted(harness, session_id, "Where is my invoice?", "completed")
    failed = await chatted(harness, session_id, "/fail please", "failed")
    await rate_in_widget(
        harness, session_id, answered, "down", "Too wordy", "Too long", "Incorrect"
    )

    spans: dict[str, dict[str, Any]] = {}

    async def both_exported() -> bool:
        spans.update(await spans_of(phoenix, project))
        return {answered, failed} <= spans.keys()

    await eventually(both_exported, within=30, what="both turns' spans in Phoenix")
    span = spans[answered]
    # (Phoenix keeps no span kind; tests/tracing checks it is CLIENT.)
    assert (span["name"], span["status"]["code"]) == ("chat echo-1", 0)  # 0: unset, no error
    seen = attributes(span)
    assert {name: seen.get(name) for name in GENAI} == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "echo-1",
        "gen_ai.response.model": "echo-1",
        "gen_ai.provider.name": "echo",
        "gen_ai.system": "echo",
        "gen_ai.conversation.id": session_id,
        "feedback_widget.session_id": session_id,
        "feedback_widget.task_id": answered,
        "feedback_widget.task_status": "completed",
    }
    broken = spans[failed]
    assert broken["status"]["code"] == 2  # error
    assert "asked to fail" in broken["status"]["message"]
    assert attributes(broken)["error.type"] == "agent_error"
    assert broken["trace_id"] != span["trace_id"]  # each turn is a trace of its own

    found: list[Any] = []

    async def annotated() -> bool:
        found[:] = await annotations_on(phoenix, project, span["span_id"])
        return bool(found)

    await eventually(annotated, within=30, what="the feedback's annotation in Phoenix")
    (note,) = found
    feedback_id = await feedback_id_of(harness, answered)
    assert (note["name"], note["annotator_kind"], note["identifier"]) == (
        "thumbs",
        "HUMAN",
        feedback_id,
    )
    assert note["result"] == {"label": "down", "score": 0.0, "explanation": "Too wordy"}
    assert note["metadata"]["reasons"] == ["Incorrect", "Too long"]
    assert (note["metadata"]["feedback_id"], note["metadata"]["source"]) == (
        feedback_id,
        "customer",
    )
    assert await annotations_on(phoenix, project, broken["span_id"]) == []


GENAI = (
    "gen_ai.operation.name",
    "gen_ai.request.model",
    "gen_ai.response.model",
    "gen_ai.provider.name",
    "gen_ai.system",
    "gen_ai.conversation.id",
    "feedback_widget.session_id",
    "feedback_widget.task_id",
    "feedback_widget.task_status",
)


async def test_a_changed_feedback_replaces_its_annotation(
    phoenix: PhoenixServer, make_harness: HarnessFactory
) -> None:
    project = new_name("fw")
    harness = await make_harness(**traced(phoenix, project))
    session_id = await new_chat(harness)
    task_id = await chatted(harness, session_id, "Summarise my plan", "completed")
    # Portkey's dialect rates a task by its id (or trace id) and can change the value later.
    created = await harness.client.post(
        "/compat/portkey/v1/feedback",
        json={"trace_id": task_id, "value": 5, "metadata": {"comment": "Useful"}},
        headers=PORTKEY,
    )
    assert created.status_code == 200, created.text
    (feedback_id,) = created.json()["feedback_ids"]
    span_id = ""

    async def exported() -> bool:
        nonlocal span_id
        span = (await spans_of(phoenix, project)).get(task_id)
        span_id = span["span_id"] if span else ""
        return span is not None

    await eventually(exported, within=30, what="the turn's span in Phoenix")

    async def scored(score: float) -> bool:
        notes = await annotations_on(phoenix, project, span_id)
        return [note["result"]["score"] for note in notes] == [score]

    await eventually(lambda: scored(5.0), within=30, what="the first annotation")
    changed = await harness.client.put(
        f"/compat/portkey/v1/feedback/{feedback_id}", json={"value": -10}, headers=PORTKEY
    )
    assert changed.status_code == 200, changed.text
    await eventually(lambda: scored(-10.0), within=30, what="the annotation to change")
    (note,) = await annotations_on(phoenix, project, span_id)
    assert (note["identifier"], note["name"], note["result"]["explanation"]) == (
        feedback_id,
        "portkey",
        "Useful",
    )


async def phoenix_deliveries(harness: Harness) -> list[tuple[int, int | None, str | None]]:
    """(attempts, delivered time, last error) of each annotation in the outbox."""
    query = select(OutboxEvent.attempts, OutboxEvent.delivered_time, OutboxEvent.last_error)
    rows = await harness.rows(query.where(OutboxEvent.destination == PHOENIX))
    return [tuple(row) for row in rows]


async def test_feedback_waits_for_a_span_phoenix_does_not_have_yet(
    phoenix: PhoenixServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Spans wait a minute for export: only the app's shutdown flushes this turn's span.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")
    project = new_name("fw")
    options = {**traced(phoenix, project), "database_url": sqlite_url}
    async with served(**options) as first:
        session_id = await new_chat(first)
        task_id = await chatted(first, session_id, "Is my order late?", "completed")
        await rate_in_widget(first, session_id, task_id, "up", "Spot on", "Accurate")

        async def refused() -> bool:
            rows = await phoenix_deliveries(first)
            return bool(rows) and "does not know span" in (rows[0][2] or "")

        await eventually(refused, within=30, what="Phoenix to refuse the unknown span")

    # Shut down: the span was exported on the way out (Phoenix stores what it receives a moment
    # later, in its own queue). The next start delivers the feedback.
    async def stored() -> bool:
        return task_id in await spans_of(phoenix, project)

    await eventually(stored, within=30, what="Phoenix to store the span flushed at shutdown")
    async with served(**options) as second:
        feedback_id = await feedback_id_of(second, task_id)
        span_id = (await spans_of(phoenix, project))[task_id]["span_id"]

        async def delivered() -> bool:
            return all(row[1] is not None for row in await phoenix_deliveries(second))

        await eventually(delivered, within=30, what="the annotation to be delivered")
        (note,) = await annotations_on(phoenix, project, span_id)
        assert (note["identifier"], note["result"]["label"]) == (feedback_id, "up")


async def test_phoenix_stopped_and_started_again_loses_and_duplicates_nothing(
    make_harness: HarnessFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "phoenix"
    folder.mkdir()
    phoenix = PhoenixServer(folder)
    await asyncio.to_thread(phoenix.start)
    try:
        project = new_name("fw")
        # Retries at most 2 s apart, so the restart is noticed soon.
        harness = await make_harness(
            **traced(phoenix, project), feedback_publishing={"retry_max_seconds": 2}
        )
        session_id = await new_chat(harness)
        rated = await chatted(harness, session_id, "How do I reset it?", "completed")
        scored = await chatted(harness, session_id, "And the password?", "completed")
        spans: dict[str, dict[str, Any]] = {}

        async def exported() -> bool:
            spans.update(await spans_of(phoenix, project))
            return {rated, scored} <= spans.keys()

        await eventually(exported, within=30, what="the turns' spans in Phoenix")

        await asyncio.to_thread(phoenix.stop)
        await rate_in_widget(harness, session_id, rated, "up", "Clear steps", "Clear")
        created = await harness.client.post(
            "/compat/portkey/v1/feedback",
            json={"trace_id": scored, "value": 3},
            headers=PORTKEY,
        )
        (score_id,) = created.json()["feedback_ids"]
        changed = await harness.client.put(
            f"/compat/portkey/v1/feedback/{score_id}", json={"value": 7}, headers=PORTKEY
        )
        assert changed.status_code == 200, changed.text

        async def retried_while_down() -> bool:
            rows = await phoenix_deliveries(harness)
            return any(
                attempts >= 2 and "unreachable" in (error or "") for attempts, _, error in rows
            )

        await eventually(
            retried_while_down, within=30, what="failed attempts while Phoenix is down"
        )
        assert all(delivered is None for _, delivered, _ in await phoenix_deliveries(harness))

        await asyncio.to_thread(phoenix.start)  # the same port and working directory

        async def all_delivered() -> bool:
            rows = await phoenix_deliveries(harness)
            return len(rows) == 3 and all(delivered is not None for _, delivered, _ in rows)

        await eventually(all_delivered, within=60, what="every annotation after the restart")
        thumbs = await annotations_on(phoenix, project, spans[rated]["span_id"])
        scores = await annotations_on(phoenix, project, spans[scored]["span_id"])
        assert [(n["identifier"], n["result"]["label"]) for n in thumbs] == [
            (await feedback_id_of(harness, rated), "up")
        ]
        assert [(n["identifier"], n["result"]["score"]) for n in scores] == [(score_id, 7.0)]
    finally:
        await asyncio.to_thread(phoenix.stop)
