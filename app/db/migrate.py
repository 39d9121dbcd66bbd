"""Apply Alembic migrations on our database, SQLite or PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.db.engine import PostgresDatabase, SQLiteDatabase, sqlite_transaction

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    if connection.in_transaction():
        connection.commit()


def _current(connection: Connection) -> str | None:
    revision = MigrationContext.configure(connection).get_current_revision()
    if connection.in_transaction():
        connection.rollback()
    return revision


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
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if isinstance(db, SQLiteDatabase):
        revision = await db.in_writer_thread(_current)
    else:
        async with db.engine.connect() as conn:
            revision = await conn.run_sync(_current)
    return None if revision == head else head
