"""Everything the lifespan builds, reachable from a request as `services(request)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from app.config import AppConfig, FeedbackAvailability, Settings
from app.db.engine import PostgresDatabase, SQLiteDatabase
from app.events.bus import EventBus
from app.events.transaction import Writer
from app.live.fanout import LiveUpdates
from app.live.hub import LiveHub
from app.live.slots import StreamSlots
from app.publishing.setup import Publishing
from app.transcripts.runner import TaskRunner
from app.web.ratelimit import RateLimiter
from app.web.rendering import Partials


@dataclass(frozen=True, kw_only=True)
class Services:
    settings: Settings
    instance: str  # host:pid, where this process leaves a trace
    feedback: FeedbackAvailability
    db: SQLiteDatabase | PostgresDatabase
    bus: EventBus
    writer: Writer
    hub: LiveHub
    live: LiveUpdates
    runner: TaskRunner
    templates: Jinja2Templates
    partials: Partials
    stream_slots: StreamSlots
    publishing: Publishing | None = None
    rate_limiter: RateLimiter | None = None

    @property
    def config(self) -> AppConfig:
        return self.settings.config


def services(conn: HTTPConnection) -> Services:
    return cast(Services, conn.state.services)


def services_of(scope: Scope) -> Services:
    """The same, for middleware that holds a raw ASGI scope."""
    return cast(Services, scope["state"]["services"])
