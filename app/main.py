"""The application factory: `create_app(settings)` builds routes, middleware and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from app import migrate
from app.agents import build_agent
from app.api import feedback as feedback_api
from app.api import feedback_links
from app.api import transcripts as transcripts_api
from app.api.health import health
from app.api.me import me
from app.api.openapi import openapi_json
from app.body_limit import BodyLimitMiddleware
from app.compat.routes import compat_routes
from app.csrf import OriginCheckMiddleware
from app.db import MEMORY_URL, create_database, database_url_for
from app.error_handlers import EXCEPTION_HANDLERS
from app.events import EventBus
from app.feedback_keys import register_keys
from app.live import LiveHub
from app.live_updates import attach_live_updates
from app.public_cors import PublicLinkCorsMiddleware
from app.publishing.setup import start_publishing
from app.rate_limit import RateLimiter, RateLimitMiddleware
from app.rendering import STATIC_DIR, Partials, build_templates
from app.retention import retention_loop
from app.runner import TaskRunner
from app.security_headers import SecurityHeadersMiddleware
from app.settings import Settings, load_settings
from app.state import Services
from app.transaction import Writer
from app.views import actions, pages, stream

log = logging.getLogger("feedback_widget")
IDLE_CHANNEL_SECONDS = 600.0


class DatabaseNotMigrated(RuntimeError):
    pass


def routes() -> list[Route | Mount]:
    return [
        Route("/", pages.index, name="index"),
        Route("/chat", pages.new_chat, methods=["POST"], name="new_chat"),
        Route("/chat/{session_id}", pages.chat, name="chat"),
        Route("/embed/{session_id}", pages.embed, name="embed"),
        Route("/chat/{session_id}/messages", actions.post_message, methods=["POST"]),
        Route("/chat/{session_id}/feedback", actions.post_feedback, methods=["POST"]),
        Route("/chat/{session_id}/events", stream.session_events, name="events"),
        Route("/api/v1/config", feedback_api.get_config),
        Route("/api/v1/health", health),
        Route("/api/v1/me", me),
        Route("/demo/host", pages.demo_host),
        Route("/api/v1/feedback", feedback_api.submit_feedback, methods=["POST"]),
        Route("/api/v1/feedback", feedback_api.list_feedback, methods=["GET"]),
        Route("/api/v1/sessions", transcripts_api.create_session, methods=["POST"]),
        Route(
            "/api/v1/sessions/{session_id}/tasks",
            transcripts_api.create_task,
            methods=["POST"],
        ),
        Route("/api/v1/sessions/{session_id}/tasks", transcripts_api.list_session_tasks),
        Route("/api/v1/tasks/{task_id}", transcripts_api.update_task, methods=["PATCH"]),
        Route("/api/v1/tasks/{task_id}/events", transcripts_api.add_task_event, methods=["POST"]),
        Route("/api/v1/feedback/summary", feedback_api.feedback_summary),
        Route("/api/v1/feedback/tokens", feedback_links.create_link, methods=["POST"]),
        Route("/api/v1/feedback/ingest/{token}", feedback_links.ingest, methods=["POST"]),
        Route("/api/v1/feedback/ingest/{token}", feedback_links.link_state),
        *compat_routes(),
        Route("/openapi.json", openapi_json),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]


def create_app(settings: Settings) -> Starlette:
    app_config = settings.app.app_config

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        url = database_url_for(settings.session_service)
        db = create_database(url)
        if url == MEMORY_URL:
            await migrate.upgrade(db.engine)
        elif (head := await migrate.pending_revision(db.engine)) is not None:
            await db.dispose()
            raise DatabaseNotMigrated(
                f"the database is not at schema revision {head}; run `feedback-widget migrate`"
            )
        await register_keys(db, app_config.feedback_keys)
        feedback = settings.feedback
        if not feedback.enabled:
            log.warning("Feedback controls are off: %s", feedback.reason)
        bus = EventBus()
        writer = Writer(db, bus)
        hub = LiveHub(
            client_queue_size=app_config.sse.client_queue_size,
            replay_buffer_size=app_config.sse.replay_buffer_size,
        )
        templates = build_templates()
        partials = Partials(templates, feedback.enabled, app_config.agent.name)
        runner = TaskRunner(writer=writer, agent=build_agent(app_config.agent))
        attach_live_updates(bus, hub, partials)
        publishing = start_publishing(app_config.feedback_publishing, db=db, bus=bus)
        limits = app_config.rate_limits
        services = Services(
            settings,
            feedback,
            db,
            bus,
            writer,
            hub,
            runner,
            templates,
            partials,
            publishing,
            RateLimiter(limits) if limits.enabled else None,
        )
        background = [asyncio.create_task(_sweep_idle_channels(hub), name="live-hub-sweeper")]
        if app_config.data_retention.enabled:
            cleanup = retention_loop(db, app_config.data_retention)
            background.append(asyncio.create_task(cleanup, name="data-retention"))
        else:
            log.warning("Data retention is disabled: old feedback and tasks are kept forever.")
        try:
            yield {"services": services}
        finally:
            for task in background:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await runner.shutdown()
            if publishing is not None:
                await publishing.stop()
            await db.dispose()

    return Starlette(
        routes=routes(),
        lifespan=lifespan,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(SecurityHeadersMiddleware, allowed_origins=app_config.embed.allowed_origins),
            Middleware(PublicLinkCorsMiddleware),
            Middleware(BodyLimitMiddleware, max_body_bytes=app_config.limits.max_body_bytes),
            Middleware(OriginCheckMiddleware, allowed_origins=app_config.embed.allowed_origins),
            Middleware(RateLimitMiddleware),
        ],
    )


async def _sweep_idle_channels(hub: LiveHub) -> None:
    while True:
        await asyncio.sleep(IDLE_CHANNEL_SECONDS / 4)
        hub.sweep(IDLE_CHANNEL_SECONDS)


def app_from_environment() -> Starlette:
    """For `uvicorn --factory app.main:app_from_environment`; reads FEEDBACK_WIDGET_CONFIG."""
    return create_app(load_settings())
