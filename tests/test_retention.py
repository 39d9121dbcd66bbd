from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Executable, event, func, insert, select

from app.bus import EventBus
from app.clock import now_ms
from app.config import settings_from_mapping
from app.config.retention import DataRetentionSettings
from app.db.engine import SQLiteDatabase, create_database, database_url
from app.db.models import ChatSession, Feedback, OutboxEvent, Task, TaskEvent
from app.db.writer import Writer
from app.retention import DAY_MS, run_retention
from tests.support import config_dict, run_cli, write_config

NOW = now_ms()


@pytest.fixture
async def writer(sqlite_url: str) -> AsyncIterator[Writer]:
    database = create_database(database_url(sqlite_url))
    yield Writer(database, EventBus())
    await database.dispose()


def retention(**values: Any) -> DataRetentionSettings:
    return DataRetentionSettings.model_validate(values)


async def write(writer: Writer, *statements: Executable) -> None:
    def unit(conn: Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    await writer.run(lambda tx: unit(tx.conn))


async def read(writer: Writer, statement: Executable) -> list[Any]:
    return await writer.db.read(lambda conn: list(conn.scalars(statement).all()))


def feedback_row(feedback_id: str, days: int, task_id: str | None = None) -> dict[str, Any]:
    return {"id": feedback_id, "task_id": task_id, "session_id": "s", "user_id": "u",
            "target_kind": "task", "target_id": task_id or feedback_id, "key": "thumbs",
            "exclusive": True, "rating": "up", "weight": 1, "source": "customer",
            "via": "widget", "metadata": {}, "created_time": NOW - days * DAY_MS}  # fmt: skip


async def add_rows(
    writer: Writer, *, feedback_days: tuple[int, ...] = (), task_days: tuple[int, ...] = ()
) -> None:
    """Tasks (each with an event) and feedback created `days` ago, in session 's'."""
    statements: list[Executable] = [
        insert(ChatSession).values(id="s", user_id="u", created_at=0, metadata_={})
    ]
    for number, days in enumerate(task_days):
        task_id = f"task-{number}"
        statements.append(insert(Task).values(
            id=task_id, session_id="s", user_id="u", status="completed", request_text="q",
            response_text="a", metadata_={}, start_time=NOW - days * DAY_MS))  # fmt: skip
        statements.append(
            insert(TaskEvent).values(
                task_id=task_id, created_time=0, direction="request", payload={}
            )
        )
    for number, days in enumerate(feedback_days):
        statements.append(insert(Feedback.__table__).values(feedback_row(f"fb-{number}", days)))
    await write(writer, *statements)


async def count(writer: Writer, model: type[Any]) -> int:
    (total,) = await read(writer, select(func.count()).select_from(model))
    return int(total)


async def test_only_feedback_older_than_the_retention_goes(writer: Writer) -> None:
    await add_rows(writer, feedback_days=(100, 10))
    counts = await run_retention(writer, retention(feedback_retention_days=90))
    kept = await read(writer, select(Feedback.id))
    assert (counts.feedback, kept) == (1, ["fb-1"])


async def test_ten_old_and_five_new_leave_five(writer: Writer) -> None:
    await add_rows(writer, feedback_days=(120,) * 10 + (5,) * 5, task_days=(120,) * 10 + (5,) * 5)
    counts = await run_retention(writer, retention())
    assert (counts.feedback, counts.tasks) == (10, 10)
    left = (
        await count(writer, Feedback),
        await count(writer, Task),
        await count(writer, TaskEvent),
    )
    assert left == (5, 5, 5)


async def test_task_and_feedback_retention_are_independent(writer: Writer) -> None:
    await add_rows(writer, task_days=(40,))
    await write(writer, insert(Feedback.__table__).values(feedback_row("recent", 10, "task-0")))
    await run_retention(writer, retention(task_retention_days=30, feedback_retention_days=90))
    assert await count(writer, Task) == 0 and await count(writer, TaskEvent) == 0
    assert await read(writer, select(Feedback.task_id).where(Feedback.id == "recent")) == [None]


async def test_disabled_deletes_nothing(writer: Writer) -> None:
    await add_rows(writer, feedback_days=(400,), task_days=(400,))
    counts = await run_retention(writer, retention(enabled=False))
    assert (counts.feedback, counts.tasks) == (0, 0)
    assert (await count(writer, Feedback), await count(writer, Task)) == (1, 1)


async def test_an_empty_database_is_fine(writer: Writer) -> None:
    counts = await run_retention(writer, retention())
    assert (counts.feedback, counts.tasks, counts.outbox) == (0, 0, 0)


async def test_batches_respect_batch_size(writer: Writer) -> None:
    await add_rows(writer, feedback_days=(200,) * 10)
    deletes: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("DELETE FROM feedback"):
            deletes.append(statement)

    assert isinstance(writer.db, SQLiteDatabase)
    event.listen(writer.db.engine, "before_cursor_execute", record)
    counts = await run_retention(writer, retention(batch_size=3))
    assert counts.feedback == 10
    assert len(deletes) == 4  # 3 + 3 + 3 + 1, stopping at the short batch


async def test_delivered_outbox_rows_are_cleaned_but_pending_ones_never(writer: Writer) -> None:
    await add_rows(writer)
    old = NOW - 200 * DAY_MS
    await write(writer, *(
        insert(OutboxEvent).values(seq=seq, event_id=f"e{seq}", destination="mqtt",
                                   session_id="s", payload="{}", created_time=old, attempts=0,
                                   next_attempt_time=old, delivered_time=delivered)
        for seq, delivered in ((1, old), (2, None), (3, NOW))
    ))  # fmt: skip
    counts = await run_retention(writer, retention())
    left = sorted(await read(writer, select(OutboxEvent.seq)))
    assert (counts.outbox, left) == (1, [2, 3])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"feedback_retention_days": 0}, "feedback_retention_days 0 is below minimum 1; using 1"),
        ({"task_retention_days": -5}, "task_retention_days -5 is below minimum 1; using 1"),
        ({"cleanup_interval_hours": 0.5}, "cleanup_interval_hours 0.5 is below minimum 1; using 1"),
        ({"batch_size": 0}, "batch_size 0 is below minimum 1; using 1"),
        ({"batch_size": 50_000}, "batch_size 50000 exceeds maximum 10000; using 10000"),
    ],
)
def test_clamping_warns(
    values: dict[str, Any], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        settings = retention(**values)
    assert [r.getMessage() for r in caplog.records] == [f"data_retention.{message}"]
    key = next(iter(values))
    assert getattr(settings, key) == (10_000 if values[key] == 50_000 else 1)


def test_a_valid_config_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        retention(feedback_retention_days=30, batch_size=500)
        settings_from_mapping(config_dict(database_url="sqlite:///x.db"), {})
    assert caplog.records == []


def test_cli_runs_one_pass_and_prints_counts(tmp_path: Path, sqlite_url: str) -> None:
    import sqlite3

    path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO sessions VALUES ('s', 'u', NULL, NULL, 0, '{}')")
        connection.execute(
            "INSERT INTO feedback (id, session_id, target_kind, target_id, user_id, key,"
            " exclusive, via, weight, source, metadata, created_time)"
            " VALUES ('old', 's', 'session', 's', 'u', 'thumbs', 1, 'api', 1, 'customer', '{}', 0)"
        )
    config = write_config(tmp_path / "c.yaml", config_dict(database_url=sqlite_url))
    result = run_cli("retention", "run", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "deleted 1 feedback, 0 tasks, 0 delivered outbox events, 0 console sessions"
    )


async def test_startup_warns_when_retention_is_disabled(
    make_harness: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="feedback_widget"):
        await make_harness(data_retention={"enabled": False})
    assert any("Data retention is disabled" in r.getMessage() for r in caplog.records)
