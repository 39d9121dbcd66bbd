"""Wires feedback publishing onto the event bus: the outbox stager (`staging.py`) writes each
event's rows in the unit that stored the feedback, a listener wakes the dispatcher. Nothing
else calls the publisher."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.bus import EventBus
from app.config.publishing import FeedbackPublishingSettings
from app.db.engine import Database
from app.db.writer import Writer
from app.feedback.events import FeedbackSubmitted
from app.metrics import Metrics
from app.publishing import outbox
from app.publishing.dispatcher import Dispatcher
from app.publishing.staging import outbox_stager
from app.publishing.transports import MqttTransport, Transport, WebhookTransport

WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass
class Publishing:
    dispatcher: Dispatcher
    http: httpx.AsyncClient | None

    async def stop(self) -> None:
        await self.dispatcher.stop()
        if self.http is not None:
            await self.http.aclose()


def start_publishing(
    settings: FeedbackPublishingSettings,
    *,
    db: Database,
    writer: Writer,
    bus: EventBus,
    targets: dict[str, Transport] | None = None,
    metrics: Metrics | None = None,
) -> Publishing | None:
    """The dispatcher runs when feedback is published, or when other features stage outbox
    rows for destinations of their own (`targets`: alerts' webhooks)."""
    if not settings.enabled and not targets:
        return None
    transports: dict[str, Transport] = {}
    if settings.enabled and settings.broker is not None:
        transports[outbox.MQTT] = MqttTransport(settings.broker)
    webhooks = settings.webhooks if settings.enabled else ()
    http = httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) if webhooks else None
    for index, webhook in enumerate(webhooks):
        assert http is not None
        transports[outbox.webhook_destination(index)] = WebhookTransport(webhook, http)
    dispatcher = Dispatcher(
        db=db,
        writer=writer,
        transports={**transports, **(targets or {})},
        retry_max_seconds=settings.retry_max_seconds,
        warn_pending_seconds=settings.warn_pending_seconds,
        metrics=metrics,
    )
    if settings.enabled:
        writer.add_stager(outbox_stager(settings, list(transports)))
        wake = dispatcher.wake
        bus.subscribe(lambda event: wake() if isinstance(event, FeedbackSubmitted) else None)
    dispatcher.start()
    return Publishing(dispatcher, http)
