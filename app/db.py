"""Engine and session factories.

SQLite write transactions start with `BEGIN IMMEDIATE`: a deferred transaction
that reads first and writes later fails with SQLITE_BUSY (without waiting on
the busy timeout) when another writer committed in between, which would turn
concurrent feedback submissions into 500s instead of clean 409s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from app.settings import SessionServiceSettings

MEMORY_URL = "sqlite+aiosqlite://"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_IMMEDIATE = "feedback_widget_immediate"


def async_url(url: str) -> str:
    """Map a synchronous SQLAlchemy URL onto the async driver we ship."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme: {parsed.drivername}")


def database_url_for(service: SessionServiceSettings) -> str:
    if service.type == "memory" or not service.database_url:
        return MEMORY_URL
    return async_url(service.database_url)


@dataclass(frozen=True)
class Database:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The in-memory database lives on one shared connection, which cannot hold two
    # transactions at once; its sessions take turns. File and server databases do not lock.
    turn: asyncio.Lock | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def _taking_turns(self) -> AsyncIterator[None]:
        if self.turn is None:
            yield
        else:
            async with self.turn:
                yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._taking_turns(), self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction, committed when the block exits cleanly."""
        async with self._taking_turns(), self.sessions() as session, session.begin():
            if self.is_sqlite:
                # Procures the connection (and so emits BEGIN) with the option already set.
                await session.connection(execution_options={_IMMEDIATE: True})
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def create_database(url: str, *, echo: bool = False) -> Database:
    kwargs: dict[str, Any] = {"echo": echo}
    if url == MEMORY_URL:
        # One shared connection, or every pool checkout would see its own empty database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif url.startswith("postgresql"):
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, wal=url != MEMORY_URL)
    turn = asyncio.Lock() if url == MEMORY_URL else None
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False), turn)


@asynccontextmanager
async def opened_database(url: str) -> AsyncIterator[Database]:
    """A database for one job (a CLI command), disposed when the job is done."""
    db = create_database(url)
    try:
        yield db
    finally:
        await db.dispose()


def _configure_sqlite(engine: AsyncEngine, *, wal: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us emit BEGIN ourselves (pysqlite's implicit BEGIN is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
