"""Running the app under uvicorn, for `feedback-widget serve`: one process or several workers.

Live streams never end on their own, and uvicorn waits for open connections before it shuts
the app down. sse-starlette already notices uvicorn's shutdown signal (`AppStatus`); the live
hub watches for it and ends every stream at once, so browsers reconnect (to another instance,
if there is one) instead of holding this one open. Whatever is still running after that gets
SHUTDOWN_GRACE_SECONDS.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable

import uvicorn
from sse_starlette.sse import AppStatus

from app.config import Settings
from app.config.loader import CONFIG_ENV_VAR
from app.errors import ConfigError

SHUTDOWN_GRACE_SECONDS = 3
SHUTDOWN_POLL_SECONDS = 0.2


async def end_streams_on_shutdown(end_streams: Callable[[], None]) -> None:
    """Runs for the app's life: the moment the server starts shutting down, end the streams."""
    # AppStatus offers a flag set from uvicorn's signal handler, not an event to await.
    while not AppStatus.should_exit:  # noqa: ASYNC110
        await asyncio.sleep(SHUTDOWN_POLL_SECONDS)
    end_streams()


def check_workers(settings: Settings, workers: int) -> None:
    """Several workers need what several processes can share; refuse otherwise, saying why."""
    if workers <= 1:
        return
    problems = []
    if settings.session_service.type == "memory":
        problems.append("the memory session service keeps each worker's chats to itself")
    elif (settings.session_service.database_url or "").startswith("sqlite"):
        problems.append(
            "SQLite has one writer: workers would queue on its file lock; use PostgreSQL"
        )
    if not settings.config.sse.shared:
        problems.append(
            "live updates with sse.fanout_url memory:// stay in the worker that made them; "
            "set sse.fanout_url to a redis:// URL"
        )
    if problems:
        raise ConfigError(f"--workers {workers}: " + "; ".join(problems))


def serve(config_path: str, *, host: str, port: int, log_level: str, workers: int) -> None:
    # Every worker builds its own app from the same file (uvicorn's factory, by import path).
    os.environ[CONFIG_ENV_VAR] = os.path.abspath(config_path)
    uvicorn.run(
        "app.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        workers=workers,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
