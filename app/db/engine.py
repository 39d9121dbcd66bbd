"""Where SQL runs: store functions are plain sync functions of a Connection, run as a unit.

SQLite runs them in threads of its own, Datasette's way: one writer thread with the one write
connection, and a few reader threads with a connection each. A unit of work costs one hop
between the event loop and a thread, however many statements it runs. (Through aiosqlite every
statement is a hop: measured at 170-360 us a statement on this machine, against 30-47 us for
the same Core statement run in a thread.) PostgreSQL runs the same functions through asyncpg
with `run_sync`, on a pool, so writers there work side by side.

Every SQLite connection uses WAL, so readers never wait for the writer, and a busy timeout
for the rare second process on the same file. Write transactions start with BEGIN IMMEDIATE:
a deferred one that reads first and writes later would fail at once with SQLITE_BUSY when
another process wrote in between.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from app.config.services import SessionServiceSettings
from app.errors import APIError

T = TypeVar("T")
Work = Callable[[Connection], T]
MEMORY_URL = "sqlite://"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READER_THREADS = 2


def database_url(url: str) -> str:
    """The URL we connect with: pysqlite for SQLite files, asyncpg for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme: {parsed.drivername}")


def shown_url(url: str) -> str:
    """The URL as logs and messages show it: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def database_url_for(service: SessionServiceSettings) -> str:
    if service.type == "memory" or not service.database_url:
        return MEMORY_URL
    return database_url(service.database_url)


class SQLiteDatabase:
    dialect = "sqlite"
    serial = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.in_memory = url == MEMORY_URL
        if self.in_memory:
            # One shared connection, or every checkout would see its own empty database.
            self.engine: Engine = create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        else:
            # Each thread keeps its own connection for its lifetime; closed at dispose.
            self.engine = create_engine(
                url, pool_size=READER_THREADS + 1, connect_args={"check_same_thread": False}
            )
        _configure_sqlite(self.engine, wal=not self.in_memory)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="db-writer")
        # The in-memory database has one connection: reads take turns with the writer.
        self._readers = (
            self._writer
            if self.in_memory
            else ThreadPoolExecutor(READER_THREADS, thread_name_prefix="db-reader")
        )
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()

    def _connection(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.engine.connect()
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    def _read_here(self, work: Work[T]) -> T:
        conn = self._connection()
        with sqlite_transaction(conn):
            return work(conn)

    async def read(self, work: Work[T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._readers, self._read_here, work)
        except (OperationalError, sqlite3.OperationalError) as exc:
            raise busy(exc) or exc from None

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """One instance at a time may hold `name`. A SQLite file has one writer, and the
        scheduled job's own record (written through it) is what keeps instances apart."""
        yield True

    async def in_writer_thread(self, work: Work[T]) -> T:
        """Run `work` on the write connection, in the writer thread; it manages the
        transaction itself (the group commit does, with `begin_immediate`)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, lambda: work(self._connection()))

    async def dispose(self) -> None:
        for executor in {self._writer, self._readers}:
            executor.shutdown(wait=True)
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self.engine.dispose()


def busy(exc: BaseException) -> APIError | None:
    """SQLite's lock still held by another process after the busy timeout: a 503 to retry,
    not a 500. (Only several processes on one file can get here; this process's writes all
    go through its one writer thread.)"""
    # SQLAlchemy's wrapper, or pysqlite's own (BEGIN and savepoints go to the DBAPI directly).
    locked = isinstance(exc, OperationalError | sqlite3.OperationalError)
    if locked and "database is locked" in str(exc):
        return APIError(
            503,
            "database_busy",
            "The database is busy; please try again in a moment.",
            headers={"Retry-After": "1"},
        )
    return None


def ping(conn: Connection) -> None:
    """A round trip that proves the database answers."""
    conn.execute(text("SELECT 1"))


@contextmanager
def sqlite_transaction(conn: Connection, *, write: bool = False) -> Iterator[None]:
    """One SQLite transaction: `BEGIN IMMEDIATE` for a write (it takes the write lock at once,
    so a read-then-write never fails half-way), `BEGIN` for a consistent read, which is rolled
    back. pysqlite runs in autocommit mode and leaves BEGIN to us; issuing it on the DBAPI
    connection, rather than from a SQLAlchemy "begin" event, keeps SQLAlchemy's event
    dispatch off every statement."""
    raw = conn.connection.driver_connection
    assert raw is not None
    raw.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    try:
        yield
    except BaseException:
        raw.rollback()
        if conn.in_transaction():
            conn.rollback()
        raise
    if not write:
        raw.rollback()
        if conn.in_transaction():
            conn.rollback()  # SQLAlchemy's bookkeeping; the DBAPI transaction is over already
    elif conn.in_transaction():
        conn.commit()  # through SQLAlchemy, so its "commit" event and bookkeeping follow
    else:
        raw.commit()


class PostgresDatabase:
    dialect = "postgresql"
    serial = False

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=10, max_overflow=20, pool_pre_ping=True
        )

    async def read(self, work: Work[T]) -> T:
        async with self.engine.connect() as conn:
            return await conn.run_sync(work)

    async def transaction(self, work: Work[T]) -> T:
        async with self.engine.begin() as conn:
            return await conn.run_sync(work)

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """Whether this instance holds `name` (a PostgreSQL advisory lock) for the block; it
        is held by a connection of its own, outside any transaction, and let go after."""
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
        async with self.engine.connect() as conn:
            held = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
            await conn.commit()
            try:
                yield held
            finally:
                if held:
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await conn.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


# Where store functions run: SQLite in threads of its own, or PostgreSQL on a pool. Both offer
# `read(work)`, `exclusive(name)` and `dispose()`; the writer tells them apart for writes.
Database = SQLiteDatabase | PostgresDatabase


def create_database(url: str) -> Database:
    if make_url(url).get_backend_name() == "sqlite":
        return SQLiteDatabase(url)
    return PostgresDatabase(url)


@asynccontextmanager
async def opened_database(url: str) -> AsyncIterator[Database]:
    """A database for one job (a CLI command, a test), disposed when the job is done."""
    db = create_database(url)
    try:
        yield db
    finally:
        await db.dispose()


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Autocommit mode: we emit BEGIN ourselves (`sqlite_transaction`); pysqlite's implicit
        # BEGIN is always DEFERRED and does not know savepoints.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if wal:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Statement journals (a savepoint's undo log, an index check's) stay in memory instead
        # of a temp file created, written and unlinked per group.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
