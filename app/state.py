"""Everything the lifespan builds, reachable from a request as `services(request)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from app.db import Database
from app.events import EventBus
from app.live import LiveHub
from app.publishing.setup import Publishing
from app.rendering import Partials
from app.runner import TaskRunner
from app.settings import FeedbackAvailability, Settings
from app.transaction import Writer

if TYPE_CHECKING:  # rate_limit resolves identities, which read Services: import for types only
    from app.rate_limit import RateLimiter


@dataclass(frozen=True)
class Services:
    settings: Settings
    feedback: FeedbackAvailability
    db: Database
    bus: EventBus
    writer: Writer
    hub: LiveHub
    runner: TaskRunner
    templates: Jinja2Templates
    partials: Partials
    publishing: Publishing | None = None
    rate_limiter: RateLimiter | None = None


def services(conn: HTTPConnection) -> Services:
    return cast(Services, conn.state.services)
