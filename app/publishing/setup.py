"""Wires feedback publishing onto the event bus: the outbox stager (`staging.py`) writes each
event's rows in the unit that stored the feedback, a listener wakes the dispatcher. Nothing
else calls the publisher."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.bus import EventBus
from app.config.observability import PhoenixSettings
from app.config.publishing import FeedbackPublishingSettings
from app.db.engine import Database
from app.db.writer import Writer
from app.feedback.events import FeedbackReviewed, FeedbackSubmitted
from app.metrics import Metrics
from app.publishing import outbox
from app.publishing.dispatcher import Dispatcher
from app.publishing.phoenix import PHOENIX, PhoenixTransport, annotation_stager
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
    phoenix: PhoenixSettings | None = None,
    targets: dict[str, Transport] | None = None,
    metrics: Metrics | None = None,
) -> Publishing | None:
    """The dispatcher runs when feedback is published, when feedback goes to Phoenix as
    annotations, or when other features stage outbox rows for destinations of their own
    (`targets`: alerts' webhooks)."""
    annotating = phoenix is not None and phoenix.url is not None
    if not settings.enabled and not annotating and not targets:
        return None
    broker = settings.broker if settings.enabled else None
    webhooks = settings.webhooks if settings.enabled else ()
    transports: dict[str, Transport] = {}
    if broker is not None:
        transports[outbox.MQTT] = MqttTransport(broker)
    http = httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) if webhooks or annotating else None
    for index, webhook in enumerate(webhooks):
        assert http is not None
        transports[outbox.webhook_destination(index)] = WebhookTransport(webhook, http)
    if settings.enabled:
        writer.add_stager(outbox_stager(settings, list(transports)))
    if annotating:
        assert phoenix is not None and http is not None
        # Feedback on traced turns, as annotations on their spans (app/publishing/phoenix.py).
        transports[PHOENIX] = PhoenixTransport(phoenix, http)
        writer.add_stager(annotation_stager())
    dispatcher = Dispatcher(
        db=db,
        writer=writer,
        transports={**transports, **(targets or {})},
        retry_max_seconds=settings.retry_max_seconds,
        warn_pending_seconds=settings.warn_pending_seconds,
        metrics=metrics,
    )
    if settings.enabled or annotating:
        wake = dispatcher.wake
        staged = FeedbackSubmitted | FeedbackReviewed
        bus.subscribe(lambda event: wake() if isinstance(event, staged) else None)
    dispatcher.start()
    return Publishing(dispatcher, http)
