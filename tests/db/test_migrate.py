from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from app.config.services import SessionServiceSettings
from app.db.engine import (
    PostgresDatabase,
    SQLiteDatabase,
    create_database,
    database_url,
    database_url_for,
)
from app.db.migrate import pending_revision, upgrade
from app.db.models import Base
from tests.support import ROOT, config_dict, postgres_database, run_cli, write_config


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///webui-gateway.db", "sqlite:///webui-gateway.db"),
        ("sqlite:////abs/path.db", "sqlite:////abs/path.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u:p@db:5432/fw", "postgresql+asyncpg://u:p@db:5432/fw"),
        ("postgresql+psycopg2://u@db/fw", "postgresql+asyncpg://u@db/fw"),
    ],
)
def test_urls_map_to_the_drivers_we_run(given: str, expected: str) -> None:
    assert database_url(given) == expected


def test_memory_service_uses_an_in_memory_database() -> None:
    assert database_url_for(SessionServiceSettings(type="memory")) == "sqlite://"


def pragma(conn: Connection, name: str) -> object:
    return conn.scalar(text(f"PRAGMA {name}"))


async def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = create_database(database_url(f"sqlite:///{tmp_path / 'x.db'}"))
    try:
        mode = await db.read(lambda conn: pragma(conn, "journal_mode"))
        timeout = await db.read(lambda conn: pragma(conn, "busy_timeout"))
    finally:
        await db.dispose()
    assert (mode, timeout) == ("wal", 10_000)


def schema_drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    db = create_database(database_url(f"sqlite:///{tmp_path / 'fresh.db'}"))
    try:
        assert await pending_revision(db) is not None
        await upgrade(db)
        assert await pending_revision(db) is None
        assert await db.read(schema_drift) == []
    finally:
        await db.dispose()


def test_cli_migrate_then_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.yaml", config_dict(database_url=f"sqlite:///{tmp_path / 'cli.db'}")
    )
    result = run_cli("migrate", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "is up to date" in result.stdout

    other = write_config(
        tmp_path / "d.yaml", config_dict(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    )
    refused = run_cli("serve", "--config", str(other), "--port", "1")
    assert refused.returncode == 2
    assert "run `feedback-widget migrate`" in refused.stderr
    assert "Traceback" not in refused.stderr


async def test_one_thumbs_per_task_is_a_database_constraint(tmp_path: Path) -> None:
    """Even a writer that skips every Python check cannot store a second row."""
    from sqlalchemy.exc import IntegrityError

    db = create_database(database_url(f"sqlite:///{tmp_path / 'constraint.db'}"))
    try:
        await upgrade(db)
        assert isinstance(db, SQLiteDatabase)
        setup = [
            "INSERT INTO sessions (id, user_id, created_at, metadata) VALUES ('s', 'u', 0, '{}')",
            "INSERT INTO tasks (id, session_id, user_id, status, request_text, response_text,"
            " start_time, metadata) VALUES ('t', 's', 'u', 'completed', 'q', 'a', 0, '{}')",
        ]
        insert = text(
            "INSERT INTO feedback (id, task_id, session_id, target_kind, target_id, user_id, key,"
            " exclusive, via, rating, weight, source, metadata, created_time) VALUES (:id, 't',"
            " 's', 'task', 't', 'u', :key, :exclusive, 'api', :rating, 1, 'customer', '{}', 0)"
        )
        one = {"key": "thumbs", "exclusive": True, "rating": "up"}
        with db.engine.begin() as connection:
            for statement in setup:
                connection.execute(text(statement))
            connection.execute(insert, {"id": "one", **one})
            # A key that allows many values per target (Portkey's) takes several rows.
            many = {"key": "portkey", "exclusive": False, "rating": None}
            connection.execute(insert, {"id": "w1", **many})
            connection.execute(insert, {"id": "w2", **many})
        with db.engine.begin() as connection, pytest.raises(IntegrityError, match="UNIQUE"):
            connection.execute(insert, {"id": "two", **one})
        # Another one-per-target key may not add a second thumbs-style reaction to the task.
        with db.engine.begin() as connection, pytest.raises(IntegrityError, match="UNIQUE"):
            other = {"key": "trodo", "exclusive": True, "rating": "down"}
            connection.execute(insert, {"id": "three", **other})
    finally:
        await db.dispose()


def run_statements(connection: Connection, statements: list[str]) -> None:
    for statement in statements:
        connection.execute(text(statement))
    connection.commit()


def check_upgraded_row(connection: Connection) -> None:
    row = connection.execute(text("SELECT target_kind, target_id, exclusive, via FROM feedback"))
    values = row.one()
    assert (values[0], values[1], bool(values[2]), values[3]) == ("task", "t", True, "widget")
    # The old row still holds its task's one reaction.
    with pytest.raises(IntegrityError):
        connection.execute(
            text(
                "INSERT INTO feedback (id, task_id, session_id, target_kind, target_id,"
                " user_id, key, exclusive, via, rating, weight, source, metadata,"
                " created_time) VALUES ('new', 't', 's', 'task', 't', 'u', 'trodo', TRUE,"
                " 'trodo', 'down', 1, 'customer', '{}', 0)"
            )
        )


async def on_connection(db: SQLiteDatabase | PostgresDatabase, work: Any) -> None:
    if isinstance(db, SQLiteDatabase):
        await db.in_writer_thread(work)
    else:
        async with db.engine.connect() as connection:
            await connection.run_sync(work)


async def upgrade_keeps_thumbs_written_before_the_key_registry(url: str) -> None:
    db = create_database(database_url(url))
    try:
        await upgrade(db, "0002_outbox")
        old = [
            "INSERT INTO sessions (id, user_id, created_at, metadata) VALUES ('s', 'u', 0, '{}')",
            "INSERT INTO tasks (id, session_id, user_id, status, request_text, response_text,"
            " start_time, metadata) VALUES ('t', 's', 'u', 'completed', 'q', 'a', 0, '{}')",
            "INSERT INTO feedback (id, task_id, session_id, user_id, key, rating, weight,"
            " source, metadata, created_time) VALUES ('old', 't', 's', 'u', 'thumbs', 'up', 1,"
            " 'customer', '{}', 0)",
        ]
        await on_connection(db, lambda connection: run_statements(connection, old))
        await upgrade(db)
        await on_connection(db, check_upgraded_row)
    finally:
        await db.dispose()


async def test_upgrade_keeps_existing_feedback_on_sqlite(tmp_path: Path) -> None:
    await upgrade_keeps_thumbs_written_before_the_key_registry(f"sqlite:///{tmp_path / 'old.db'}")


@pytest.mark.postgres
async def test_upgrade_keeps_existing_feedback_on_postgres() -> None:
    async with postgres_database() as url:
        await upgrade_keeps_thumbs_written_before_the_key_registry(url)


def test_the_head_revision_the_server_checks_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from app.db.migrate import HEAD_REVISION, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


@pytest.mark.parametrize(
    ("service", "sse", "refused_for"),
    [
        ({"database_url": "sqlite:///x.db"}, {"fanout_url": "redis://127.0.0.1:6379/0"}, "SQLite"),
        ({"service_type": "memory"}, {"fanout_url": "redis://127.0.0.1:6379/0"}, "memory session"),
        ({"database_url": "postgresql://u@db/fw"}, {}, "memory://"),
    ],
)
def test_several_workers_are_refused_without_shared_parts(
    tmp_path: Path, service: dict[str, str], sse: dict[str, str], refused_for: str
) -> None:
    config = write_config(tmp_path / "w.yaml", config_dict(sse=sse, **service))
    refused = run_cli("serve", "--config", str(config), "--workers", "2", "--port", "1")
    assert refused.returncode == 2
    assert refused_for in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.postgres
async def test_two_servers_racing_on_an_unmigrated_database_both_refuse(tmp_path: Path) -> None:
    async with postgres_database() as url:
        config = write_config(tmp_path / "race.yaml", config_dict(database_url=url))
        command = [sys.executable, "-m", "app", "serve", "--config", str(config), "--port", "1"]
        racing = [
            await asyncio.create_subprocess_exec(*command, cwd=ROOT, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outcomes = [await process.communicate() for process in racing]
    assert [process.returncode for process in racing] == [2, 2]
    for _out, err in outcomes:
        assert b"run `feedback-widget migrate`" in err


async def upgrade_moves_the_task_copy_of_feedback_onto_the_feedback_row(url: str) -> None:
    """0009: what a task showed as given was a copy in its metadata; after, the feedback row
    says it shows on its task (a rating, or the link answer the copy named), and the copy
    (only ours: a platform's own `feedback` key stays) is gone."""
    db = create_database(database_url(url))
    answered = (
        '{"feedback": {"type": null, "text": "Slow", "submitted": true, "id": "link",'
        ' "key": "speed", "provided": true}, "tag": "x"}'
    )
    try:
        await upgrade(db, "0008_console_sessions")
        old = [
            "INSERT INTO sessions (id, user_id, created_at, metadata) VALUES ('s', 'u', 0, '{}')",
            *(
                "INSERT INTO tasks (id, session_id, user_id, status, request_text, response_text,"
                f" start_time, metadata) VALUES ('{task}', 's', 'u', 'completed', 'q', 'a', 0,"
                f" '{metadata}')"
                for task, metadata in (
                    ("rated", "{}"),
                    ("linked", answered),
                    ("pushed", '{"feedback": "the platform copy"}'),
                )
            ),
            *(
                "INSERT INTO feedback (id, task_id, session_id, target_kind, target_id, user_id,"
                " key, exclusive, rating, weight, source, via, metadata, created_time)"
                f" VALUES ('{row}', '{task}', 's', 'task', '{task}', 'u', '{key}', TRUE,"
                f" {rating}, 1, 'customer', 'token', '{{}}', 0)"
                for row, task, key, rating in (
                    ("thumb", "rated", "thumbs", "'up'"),
                    ("link", "linked", "speed", "NULL"),
                    ("score", "pushed", "portkey", "NULL"),
                )
            ),
        ]
        await on_connection(db, lambda connection: run_statements(connection, old))
        await upgrade(db)

        def check(connection: Connection) -> None:
            marks = dict(connection.execute(text("SELECT id, marks_task FROM feedback")).all())
            assert {row: bool(value) for row, value in marks.items()} == {
                "thumb": True,
                "link": True,
                "score": False,
            }
            metadata = dict(connection.execute(text("SELECT id, metadata FROM tasks")).all())
            loaded = {
                task: value if isinstance(value, dict) else json.loads(value)
                for task, value in metadata.items()
            }
            assert loaded == {
                "rated": {},
                "linked": {"tag": "x"},
                "pushed": {"feedback": "the platform copy"},
            }

        await on_connection(db, check)
    finally:
        await db.dispose()


async def test_upgrade_moves_the_copied_feedback_state_on_sqlite(tmp_path: Path) -> None:
    await upgrade_moves_the_task_copy_of_feedback_onto_the_feedback_row(
        f"sqlite:///{tmp_path / 'old.db'}"
    )


@pytest.mark.postgres
async def test_upgrade_moves_the_copied_feedback_state_on_postgres() -> None:
    async with postgres_database() as url:
        await upgrade_moves_the_task_copy_of_feedback_onto_the_feedback_row(url)
