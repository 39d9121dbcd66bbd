"""Apply Alembic migrations on our database, SQLite or PostgreSQL alike.

Every start checks the schema revision; that check reads `alembic_version` with plain SQL
against `HEAD_REVISION`, so serving never imports Alembic (a fifth of the start-up time).
`tests/db/test_migrate.py` checks `HEAD_REVISION` is the newest migration.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from app.db.engine import PostgresDatabase, SQLiteDatabase, sqlite_transaction

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
HEAD_REVISION = "0014_feedback_review"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    if connection.in_transaction():
        connection.commit()


def _current(connection: Connection) -> str | None:
    try:
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        revision = None  # no alembic_version table: never migrated
    if connection.in_transaction():
        connection.rollback()
    return str(revision) if revision is not None else None


async def upgrade(db: SQLiteDatabase | PostgresDatabase, revision: str = "head") -> None:
    if isinstance(db, SQLiteDatabase):

        def run(conn: Connection) -> None:
            with sqlite_transaction(conn, write=True):  # all of it, or none of it
                _upgrade(conn, revision)

        await db.in_writer_thread(run)
    else:
        async with db.engine.connect() as conn:
            await conn.run_sync(lambda sync: _upgrade(sync, revision))


async def pending_revision(db: SQLiteDatabase | PostgresDatabase) -> str | None:
    """The head revision when the database is behind it, else None."""
    if isinstance(db, SQLiteDatabase):
        revision = await db.in_writer_thread(_current)
    else:
        async with db.engine.connect() as conn:
            revision = await conn.run_sync(_current)
    return None if revision == HEAD_REVISION else HEAD_REVISION
