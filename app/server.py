"""Running the app under uvicorn, for `feedback-widget serve`: one process or several workers.

Live streams never end on their own, and uvicorn waits for open connections before it shuts
the app down. sse-starlette already notices uvicorn's shutdown signal (`AppStatus`); the live
hub watches for it and ends every stream at once, so browsers reconnect (to another instance,
if there is one) instead of holding this one open. Whatever is still running after that gets
SHUTDOWN_GRACE_SECONDS.

Every `server.*` setting reaches uvicorn here: the header and unread-body deadlines through our
protocol classes (`app/protocols.py`), keep-alive, `limit_concurrency` and the backlog, and the
proxies whose X-Forwarded-* headers are believed (none by default: uvicorn alone would believe
any client on loopback, so a local attacker could pick the address every budget counts).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
from collections.abc import Callable

import uvicorn
from sse_starlette.sse import AppStatus
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from app.config import Settings
from app.config.loader import CONFIG_ENV_VAR
from app.errors import ConfigError
from app.metrics.exposition import shared_between_workers
from app.protocols import ServeConfig, default_protocol
from app.web.log_format import logging_config

SHUTDOWN_GRACE_SECONDS = 3
SHUTDOWN_POLL_SECONDS = 0.2
# Descriptors a process needs besides its connections: the listening socket, the database,
# Redis, logs, the agent's HTTP clients.
SPARE_DESCRIPTORS = 128
log = logging.getLogger("feedback_widget.server")


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


def allow_descriptors(needed: int) -> None:
    """Raise this process's open-file limit to `needed` if the hard limit allows (workers
    inherit it): past the limit the kernel refuses connections before `limit_concurrency`
    can answer them with a 503. Say so if it cannot."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        log.warning(
            "server.limit_concurrency needs about %d open files, but this process may open %d; "
            "raise the limit (ulimit -n, LimitNOFILE=) or lower server.limit_concurrency",
            needed,
            target,
        )


def serve(
    config_path: str,
    settings: Settings,
    *,
    host: str,
    port: int,
    log_level: str,
    workers: int,
    http: type[asyncio.Protocol] | None = None,
) -> None:
    """Run the app under uvicorn until it is told to stop. `http`: the protocol class, ours
    for httptools (or h11 when httptools is missing) by default."""
    # Every worker builds its own app from the same file (uvicorn's factory, by import path).
    os.environ[CONFIG_ENV_VAR] = os.path.abspath(config_path)
    server = settings.config.server
    allow_descriptors(server.limit_concurrency + SPARE_DESCRIPTORS)
    config = ServeConfig(
        "app.main:app_from_environment",
        factory=True,
        host=host,
        port=port,
        log_level=log_level,
        # Applied in every worker: one line format for all loggers, and no access log of
        # uvicorn's (it prints the raw target; `RequestLog` writes the request's line).
        log_config=logging_config(settings.config.logging.format, log_level),
        access_log=False,
        workers=workers,
        http=http or default_protocol(),
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        header_timeout_seconds=server.header_timeout_seconds,
        body_timeout_seconds=server.body_timeout_seconds,
        timeout_keep_alive=server.keep_alive_seconds,
        limit_concurrency=server.limit_concurrency,
        backlog=server.backlog,
        proxy_headers=bool(server.forwarded_allow_ips),
        forwarded_allow_ips=list(server.forwarded_allow_ips),
    )
    # What uvicorn.run does with a config, which it cannot be handed.
    if config.workers > 1:
        # Made before the workers start, so each one's metrics are written where any can
        # read them all (app/metrics/exposition.py).
        metrics = settings.config.observability.metrics.enabled
        with shared_between_workers(config.workers, enabled=metrics):
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        return
    process = uvicorn.Server(config)
    process.run()
    if not process.started:
        raise SystemExit(STARTUP_FAILURE)  # uvicorn has logged why
