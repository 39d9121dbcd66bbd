"""Helpers shared by the tests: configs, a real server subprocess, Postgres databases."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("FEEDBACK_WIDGET_TEST_REDIS_URL", "redis://127.0.0.1:6379")
POSTGRES_ADMIN_URL = os.environ.get(
    "FEEDBACK_WIDGET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def config_dict(
    *,
    database_url: str | None = None,
    service_type: str = "sql",
    behavior: str = "PERSISTENT",
    collect: bool = True,
    stream_seconds: float = 0.0,
    **app_config: Any,
) -> dict[str, Any]:
    service: dict[str, Any] = {"type": service_type, "default_behavior": behavior}
    if database_url is not None:
        service["database_url"] = database_url
    return {
        "services": {"session_service": service},
        "apps": [
            {
                "name": "test_app",
                "app_config": {
                    "frontend_collect_feedback": collect,
                    "agent": {"type": "echo", "stream_seconds": stream_seconds},
                    # Budgets are tested on their own; elsewhere they would only add noise.
                    "rate_limits": {"enabled": False},
                    **app_config,
                },
            }
        ],
    }


def write_config(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def wait_for_port(port: int, process: subprocess.Popen[bytes], what: str) -> None:
    """Wait until a server process of the test's own accepts connections on `port`."""
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start (exit code {process.poll()})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@dataclass
class ServerProcess:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text()


# A migrated SQLite file (tests/conftest.py makes it once a run): copying it is a tenth of the
# cost of running `feedback-widget migrate` in a fresh process for every server a test starts.
MIGRATED_TEMPLATE: Path | None = None


def migrate_for(config_path: Path) -> None:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    url = str(config.get("services", {}).get("session_service", {}).get("database_url", ""))
    target = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if MIGRATED_TEMPLATE is not None and target is not None and not target.exists():
        shutil.copy(MIGRATED_TEMPLATE, target)
        return
    result = run_cli("migrate", "--config", str(config_path))
    assert result.returncode == 0, result.stderr


def start_server(
    config_path: Path,
    *,
    migrate: bool = True,
    args: tuple[str, ...] = (),
    log_level: str = "warning",
    wait: bool = True,
) -> ServerProcess:
    """Start `feedback-widget serve` on a free port; return once it answers (or at once)."""
    if migrate:
        migrate_for(config_path)
    port = free_port()
    log_path = config_path.with_suffix(f".{port}.log")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "app", "serve", "--config", str(config_path)),
                *("--port", str(port), "--log-level", log_level, *args),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    if wait:
        wait_until_serving(server)
    return server


def wait_until_serving(server: ServerProcess, within: float = 20) -> None:
    process = server.process
    deadline = time.monotonic() + within
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(f"{server.url}/api/v1/config", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"server did not answer in time:\n{server.log()}")
        time.sleep(0.05)


def stop_server(server: ServerProcess) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@contextmanager
def running_server(config_path: Path, *, migrate: bool = True) -> Iterator[str]:
    """Start `feedback-widget serve` on a free port and yield its base URL once it answers."""
    server = start_server(config_path, migrate=migrate)
    try:
        yield server.url
    finally:
        stop_server(server)


async def _postgres_admin(sql: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("+asyncpg", ""), timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty database on the real PostgreSQL server, dropped afterwards."""
    name = new_name("fw_test")
    try:
        await _postgres_admin(f'CREATE DATABASE "{name}"')
    except OSError as exc:
        raise RuntimeError(
            f"PostgreSQL at {POSTGRES_ADMIN_URL} is unreachable ({exc}); "
            "start it or point FEEDBACK_WIDGET_TEST_POSTGRES_URL at one"
        ) from exc
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], *, within: float = 10, what: str = "condition"
) -> None:
    """Wait until `check` holds, polling; fail with `what` if it never does."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


# Proving that nothing more arrives: one short wait, once everything expected has arrived.
QUIET_SECONDS = 0.3


@contextmanager
def postgres_database_sync() -> Iterator[str]:
    """`postgres_database` for synchronous tests (Playwright's own loop holds this thread)."""
    name = new_name("fw_test")

    def admin(sql: str) -> None:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, _postgres_admin(sql)).result()

    admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"
