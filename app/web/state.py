"""Everything the lifespan builds, reachable from a request as `services(request)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import HTTPConnection
from starlette.types import Scope

from app.agents.runner import TaskRunner
from app.alerts.watcher import AlertWatcher
from app.bus import EventBus
from app.config import AppConfig, FeedbackAvailability, Settings
from app.db.engine import Database
from app.db.writer import Writer
from app.live.fanout import LiveFanout
from app.live.hub import LiveHub
from app.live.slots import StreamSlots
from app.metrics import Metrics
from app.publishing.setup import Publishing
from app.web.ratelimit import RateLimiter
from app.web.templates import LocalizedTemplates


@dataclass(frozen=True, kw_only=True)
class Services:
    settings: Settings
    instance: str  # host:pid, where this process leaves a trace
    feedback: FeedbackAvailability
    db: Database
    bus: EventBus
    writer: Writer
    hub: LiveHub
    live: LiveFanout
    runner: TaskRunner
    templates: LocalizedTemplates
    stream_slots: StreamSlots
    publishing: Publishing | None = None
    alerts: AlertWatcher | None = None
    rate_limiter: RateLimiter | None = None
    metrics: Metrics | None = None  # None: metrics are off

    @property
    def config(self) -> AppConfig:
        return self.settings.config


def services(conn: HTTPConnection) -> Services:
    return cast(Services, conn.state.services)


def services_of(scope: Scope) -> Services:
    """The same, for middleware that holds a raw ASGI scope."""
    return cast(Services, scope["state"]["services"])
