from __future__ import annotations

import sqlite3
from contextlib import closing

from sqlalchemy import select

from app.bus import DomainEvent
from app.db.models import TaskEvent
from app.transcripts.events import TaskCreated, TaskFinished, TaskUpdated
from tests.support import eventually
from tests.support.agent_turns import finish_of, started_turn
from tests.support.harness import Harness, HarnessFactory


async def send(harness: Harness, text: str) -> tuple[str, str]:
    created = await harness.client.post("/chat")
    session_id = created.headers["location"].rsplit("/", 1)[1]
    response = await harness.client.post(
        f"/chat/{session_id}/messages", data={"message": text}, headers={"HX-Request": "true"}
    )
    return session_id, started_turn(response)


async def finished(harness: Harness, task_id: str) -> TaskFinished:
    await eventually(lambda: finish_of(harness, task_id) is not None, what="the task to finish")
    event = finish_of(harness, task_id)
    assert event is not None
    return event


async def test_echo_agent_streams_then_completes(make_harness: HarnessFactory) -> None:
    harness = await make_harness(stream_seconds=0.3)
    _, task_id = await send(harness, "Tell me about **feedback**")
    done = await finished(harness, task_id)

    assert done.task.status == "completed"
    assert "Tell me about **feedback**" in done.task.response_text
    kinds = [type(e) for e in harness.events if getattr(e, "task", None) and e.task.id == task_id]
    assert kinds[0] is TaskCreated and kinds[-1] is TaskFinished
    updates = [e for e in harness.events if isinstance(e, TaskUpdated)]
    assert updates, "text should stream in before completion"
    assert all(e.task.status == "running" for e in updates)
    lengths = [len(e.task.response_text) for e in updates]
    assert lengths == sorted(lengths) and lengths[-1] < len(done.task.response_text) + 1


async def test_request_and_response_are_logged_as_task_events(harness: Harness) -> None:
    _, task_id = await send(harness, "hello")
    await finished(harness, task_id)
    rows = await harness.rows(select(TaskEvent).where(TaskEvent.task_id == task_id))
    assert [(row.direction, row.payload.get("text", "")[:5]) for row in rows] == [
        ("request", "hello"),
        ("response", "**You"),
    ]


async def test_agent_failure_fails_the_task_with_its_message(harness: Harness) -> None:
    session_id, task_id = await send(harness, "/fail please")
    done = await finished(harness, task_id)
    assert done.task.status == "failed"
    assert "asked to fail" in (done.task.error or "")
    page = (await harness.client.get(f"/chat/{session_id}")).text
    assert "asked to fail" in page


async def test_events_are_published_only_after_commit(harness: Harness) -> None:
    """At the moment a listener runs, another connection must already see the row."""
    database = harness.services.settings.session_service.database_url or ""
    path = database.removeprefix("sqlite:///")
    seen_by_other_connection: list[bool] = []

    def check(event: DomainEvent) -> None:
        if isinstance(event, TaskCreated):
            with closing(sqlite3.connect(path)) as other:
                row = other.execute("SELECT 1 FROM tasks WHERE id = ?", (event.task.id,)).fetchone()
            seen_by_other_connection.append(row is not None)

    harness.services.bus.subscribe(check)
    await send(harness, "hi")
    assert seen_by_other_connection == [True]


async def test_a_rolled_back_write_publishes_nothing(harness: Harness) -> None:
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    before = len(harness.events)
    await harness.client.post(
        "/api/v1/feedback", json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
    )
    after_first = len(harness.events)
    await harness.client.post(
        "/api/v1/feedback", json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
    )
    assert (after_first - before, len(harness.events) - after_first) == (1, 0)


async def test_shutdown_marks_an_unfinished_task_failed(make_harness: HarnessFactory) -> None:
    harness = await make_harness(stream_seconds=30)
    _, task_id = await send(harness, "a slow one")
    # At once, before the agent has even started: the task must still end, not hang running.
    await harness.services.runner.shutdown()
    done = await finished(harness, task_id)
    assert (done.task.status, done.task.error) == (
        "failed",
        "The server stopped before the agent finished.",
    )
