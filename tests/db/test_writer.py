"""The write path: units commit in groups on SQLite, fail alone, and publish only after commit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select

from app.db.engine import SQLiteDatabase
from app.db.models import Feedback, Task
from app.db.writer import Transaction
from app.errors import APIError
from app.transcripts import store
from app.transcripts.events import TaskCreated
from app.transcripts.model import NewTask, SessionView
from tests.support.harness import Harness, HarnessFactory


def statements(harness: Harness, prefix: str) -> list[str]:
    """Every SQL statement starting with `prefix` the app's database runs from now on."""
    seen: list[str] = []
    db = harness.services.db
    assert isinstance(db, SQLiteDatabase)

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.upper().startswith(prefix):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    return seen


async def chat(harness: Harness) -> SessionView:
    session_id = await harness.new_session()
    found = await harness.services.db.read(lambda conn: store.get_session(conn, session_id))
    assert found is not None
    return found


def new_task(chat: SessionView, task_id: str, *, fail_after: bool = False) -> Any:
    def unit(tx: Transaction) -> str:
        store.create_task(tx, chat=chat, new=NewTask(id=task_id, request_text="q"))
        if fail_after:
            raise APIError(409, "refused", "This unit changes its mind after writing.")
        return task_id

    return unit


async def test_a_failing_unit_rolls_back_alone_and_its_events_never_go_out(
    make_harness: HarnessFactory,
) -> None:
    # No retention pass, whose own units would share the writer while we count commits.
    harness = await make_harness(data_retention={"enabled": False})
    session = await chat(harness)
    created: list[str] = []
    harness.services.bus.subscribe(
        lambda e: created.append(e.task.id) if isinstance(e, TaskCreated) else None
    )
    commits: list[object] = []
    db = harness.services.db
    assert isinstance(db, SQLiteDatabase)
    event.listen(db.engine, "commit", commits.append)
    units = [new_task(session, f"t{n}", fail_after=n == 3) for n in range(8)]
    units.append(new_task(session, "t5"))  # a duplicate id: refused by the store (409)
    outcomes = await asyncio.gather(
        *(harness.services.writer.run(unit) for unit in units), return_exceptions=True
    )
    failed = [n for n, outcome in enumerate(outcomes) if isinstance(outcome, APIError)]
    assert failed == [3, 8]
    stored = await harness.rows(select(Task.id).where(Task.session_id == session.id))
    assert sorted(row.id for row in stored) == sorted(f"t{n}" for n in range(8) if n != 3)
    assert sorted(created) == sorted(f"t{n}" for n in range(8) if n != 3)
    assert len(commits) == 1  # nine units, queued together, committed together


async def test_fifty_concurrent_thumbs_are_decided_by_the_unique_index(harness: Harness) -> None:
    """No pre-check turns the losers away: every request reaches the INSERT, and SQLite's
    unique index is what refuses 49 of them."""
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    inserts = statements(harness, "INSERT INTO FEEDBACK")

    async def submit(number: int) -> int:
        response = await harness.client.post(
            "/api/v1/feedback",
            json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"},
        )
        return response.status_code

    codes = await asyncio.gather(*(submit(n) for n in range(50)))
    assert sorted(codes) == [202] + [409] * 49
    assert len(inserts) == 50
    stored = select(func.count()).select_from(Feedback).where(Feedback.task_id == task_id)
    assert await harness.rows(stored) == [(1,)]
    listed = await harness.client.get("/api/v1/feedback", params={"task_id": task_id})
    assert listed.headers["X-Total-Count"] == "1"


@pytest.mark.parametrize("failing", [0, 2])
async def test_a_group_whose_commit_fails_publishes_nothing(
    harness: Harness, failing: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await chat(harness)
    created: list[str] = []
    harness.services.bus.subscribe(
        lambda e: created.append(e.task.id) if isinstance(e, TaskCreated) else None
    )
    db = harness.services.db
    assert isinstance(db, SQLiteDatabase)

    def refuse_commit(conn: Any) -> None:
        raise RuntimeError("disk full")

    event.listen(db.engine, "commit", refuse_commit)
    try:
        outcomes = await asyncio.gather(
            *(
                harness.services.writer.run(new_task(session, f"c{n}", fail_after=n == failing))
                for n in range(3)
            ),
            return_exceptions=True,
        )
    finally:
        event.remove(db.engine, "commit", refuse_commit)
    assert all(isinstance(outcome, Exception) for outcome in outcomes)
    assert created == []
    assert await harness.rows(select(Task.id).where(Task.session_id == session.id)) == []


async def test_another_process_holding_the_sqlite_lock_is_a_503_not_a_500(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a second process on the same file can make our writer wait; when it outlasts the
    busy timeout, the client is told to retry, in the one error shape."""
    import sqlite3
    from contextlib import closing

    import app.db.engine as engine

    monkeypatch.setattr(engine, "SQLITE_BUSY_TIMEOUT_MS", 50)
    harness = await make_harness()
    session_id = await harness.new_session()
    path = (harness.services.settings.session_service.database_url or "").removeprefix("sqlite:///")
    with closing(sqlite3.connect(path, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")  # the other process's write transaction
        response = await harness.client.post(
            f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "q"}
        )
        other.execute("ROLLBACK")
    assert response.status_code == 503
    assert response.json()["code"] == "database_busy"
    assert response.headers["Retry-After"] == "1"
    retried = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks", json={"request_text": "q"}
    )
    assert retried.status_code == 201
