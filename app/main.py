"""The application factory: `create_app(settings)` builds the routes and the lifespan.

Nothing is created at import time. The lifespan opens the database, checks it is migrated,
and builds the services every request reaches through `services(request)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware

from app.agents import build_agent
from app.agents.runner import TaskRunner
from app.alerts.watcher import prepare_alerts
from app.bus import DomainEvent, EventBus, Listener
from app.config import Settings, load_settings
from app.db import migrate
from app.db.engine import MEMORY_URL, create_database, database_url_for
from app.db.writer import Writer
from app.feedback.events import FeedbackSubmitted
from app.feedback.service import register_keys
from app.feedback.traces import attach_waiting_feedback
from app.live.fanout import LiveFanout
from app.live.hub import LiveHub
from app.live.slots import StreamSlots
from app.metrics import Metrics
from app.metrics.exposition import forget_dead_workers, forget_worker
from app.publishing.setup import start_publishing
from app.retention import retention_loop
from app.routes import routes
from app.server import end_streams_on_shutdown
from app.tracing.genai import TurnSpans
from app.tracing.provider import start_tracing
from app.web.handlers import EXCEPTION_HANDLERS
from app.web.languages import page_language
from app.web.middleware.body_limit import BodyLimit
from app.web.middleware.body_timeout import BodyTimeout
from app.web.middleware.request_metrics import RequestMetrics, route_templates
from app.web.middleware.security import SecurityHeaders
from app.web.ratelimit import RateLimiter
from app.web.request_log import RequestLog
from app.web.state import Services
from app.web.templates import build_templates
from app.widget.partials import Partials, widget_filters

log = logging.getLogger("feedback_widget")
IDLE_CHANNEL_SECONDS = 600.0
ACCESS_LOGGER_OF_UVICORN = "uvicorn.access"


class DatabaseNotMigrated(RuntimeError):
    pass


def create_app(settings: Settings, *, serving: bool = False) -> Starlette:
    """The app for `settings`. `serving`: this process serves only this app (the CLI, the
    uvicorn factory), so it may tune the process-wide garbage collector for it."""
    config = settings.config
    metrics = Metrics(CollectorRegistry()) if config.observability.metrics.enabled else None
    table = routes(config)

    @asynccontextmanager
    async def lifespan(application: Starlette) -> AsyncIterator[dict[str, Any]]:
        url = database_url_for(settings.session_service)
        db = create_database(url)
        if url == MEMORY_URL:
            await migrate.upgrade(db)
        elif (head := await migrate.pending_revision(db)) is not None:
            await db.dispose()
            raise DatabaseNotMigrated(
                f"the database is not at schema revision {head}; run `feedback-widget migrate`"
            )
        bus = EventBus()
        if metrics is not None:
            forget_dead_workers()
            bus.subscribe(_count_feedback(metrics))
        writer = Writer(db, bus, metrics)
        writer.add_stager(attach_waiting_feedback)
        await register_keys(writer, config.feedback_keys)
        feedback = settings.feedback
        if not feedback.enabled:
            log.warning("Feedback controls are off: %s", feedback.reason)
        hub = LiveHub(
            client_queue_size=config.sse.client_queue_size,
            replay_buffer_size=config.sse.replay_buffer_size,
        )
        templates = build_templates(application.router, page_language)
        templates.env.filters.update(widget_filters())
        templates.env.globals["feedback_reasons"] = config.feedback_reasons
        templates.env.globals["widget_theme"] = config.widget.theme
        templates.env.globals["widget_theme_vars"] = config.widget.theme_vars
        partials = Partials(templates, feedback.enabled, config.agent.name)
        agent = build_agent(config.agent)
        tracing = start_tracing(config.observability.otlp)
        spans = None
        if tracing is not None:
            spans = TurnSpans(tracing.tracer, agent_name=agent.name, agent_type=agent.type)
        runner = TaskRunner(writer=writer, agent=agent, spans=spans, metrics=metrics)
        live = LiveFanout(hub, partials.live, config.sse, key_prefix=config.sse.key_prefix)
        live.attach(bus)
        alerts = prepare_alerts(config.alerts, app=settings.app.name, db=db, writer=writer, bus=bus)
        publishing = start_publishing(
            config.feedback_publishing,
            db=db,
            writer=writer,
            bus=bus,
            phoenix=config.observability.phoenix,
            targets=alerts.transports if alerts is not None else None,
            metrics=metrics,
        )
        if alerts is not None and publishing is not None:
            alerts.watcher.start(deliver=publishing.dispatcher.wake)
        services = Services(
            settings=settings,
            instance=instance_name(),
            feedback=feedback,
            db=db,
            bus=bus,
            writer=writer,
            hub=hub,
            live=live,
            runner=runner,
            templates=templates,
            stream_slots=StreamSlots(
                per_user=config.limits.streams_per_user,
                per_address=config.limits.streams_per_address,
            ),
            publishing=publishing,
            alerts=alerts.watcher if alerts is not None else None,
            rate_limiter=RateLimiter(config.rate_limits) if config.rate_limits.enabled else None,
            metrics=metrics,
        )
        background = [
            asyncio.create_task(_sweep_idle_channels(hub), name="live-hub-sweeper"),
            asyncio.create_task(_ping_idle_clients(hub, config.sse.ping_seconds), name="pinger"),
        ]
        if config.data_retention.enabled:
            cleanup = retention_loop(writer, config.data_retention, instance=instance_name())
            background.append(asyncio.create_task(cleanup, name="data-retention"))
        else:
            log.warning("Data retention is disabled: old feedback and tasks are kept forever.")
        if serving:
            background.append(
                asyncio.create_task(end_streams_on_shutdown(hub.close_all), name="shutdown-watch")
            )
            # Everything built so far lives as long as the process. Out of the collector's
            # sight, full collections stop walking it: they stalled requests for ~80 ms
            # (measured: listing p99 88 -> 22 ms, and 15% less CPU per request).
            gc.freeze()
        # Also on app.state: what an embedding app or a test reads after startup.
        application.state.services = services
        try:
            yield {"services": services, "partials": partials}
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await runner.shutdown()
            if tracing is not None:
                await tracing.shutdown()  # the last turns' spans are exported first
            await live.stop()
            if alerts is not None:
                await alerts.watcher.stop()
            if publishing is not None:
                await publishing.stop()
            await db.dispose()
            if metrics is not None:
                forget_worker()

    # Off, requests are not even looked at.
    counted = []
    if metrics is not None:
        templates = route_templates(table)
        counted.append(Middleware(RequestMetrics, metrics=metrics, templates=templates))
    return Starlette(
        routes=table,
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(RequestLog),
            *counted,
            # HTML, CSS, JS and JSON go compressed (level 6: nearly 9's size at a third of the
            # CPU). Never an event stream: gzip would hold each event in its buffer until the
            # stream ends. Starlette leaves text/event-stream out by its content type, which
            # covers every stream wherever it is mounted (tests/live/test_sse.py proves it).
            Middleware(GZipMiddleware, minimum_size=500, compresslevel=6),
            Middleware(SecurityHeaders, allowed_origins=config.embed.allowed_origins),
            Middleware(BodyLimit, max_body_bytes=config.limits.max_body_bytes),
            Middleware(BodyTimeout, seconds=config.server.body_timeout_seconds),
        ],
    )


def _count_feedback(metrics: Metrics) -> Listener:
    """Feedback counts once it has committed (events are published after commit), and once:
    a revision, or a feedback moving onto its trace's task, is not a new one."""

    def count(event: DomainEvent) -> None:
        if isinstance(event, FeedbackSubmitted) and event.new:
            feedback = event.feedback
            metrics.feedback_stored(feedback.via, feedback.rating, feedback.source)

    return count


async def _sweep_idle_channels(hub: LiveHub) -> None:
    while True:
        await asyncio.sleep(IDLE_CHANNEL_SECONDS / 4)
        hub.sweep(IDLE_CHANNEL_SECONDS)


async def _ping_idle_clients(hub: LiveHub, ping_seconds: float) -> None:
    # Checked a few times per interval, so no client waits much longer than it for its ping.
    while True:
        await asyncio.sleep(min(1.0, ping_seconds / 4))
        hub.ping_idle(ping_seconds)


def instance_name() -> str:
    """How this process is named where instances leave a trace (host and process id)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def app_from_environment() -> Starlette:
    """For `uvicorn --factory app.main:app_from_environment` (what `feedback-widget serve`
    runs in each worker); reads FEEDBACK_WIDGET_CONFIG. Run by uvicorn directly, its access
    log would print each request's raw target, `?token=` and all: it is switched off here
    (`serve` never turns it on), and `RequestLog` writes the request's line instead."""
    logging.getLogger(ACCESS_LOGGER_OF_UVICORN).disabled = True
    return create_app(load_settings(), serving=True)
