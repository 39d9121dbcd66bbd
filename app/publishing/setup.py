"""Wires feedback publishing onto the event bus: a stager writes the outbox, a listener wakes
the dispatcher. Nothing else calls the publisher."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx

from app.config.publishing import FeedbackPublishingSettings
from app.db.engine import Database
from app.events.bus import EventBus
from app.events.domain import DomainEvent, FeedbackSubmitted
from app.events.transaction import Stager, Transaction, Writer
from app.publishing import outbox
from app.publishing.dispatcher import Dispatcher
from app.publishing.payloads import build_payload
from app.publishing.transports import MqttTransport, Transport, WebhookTransport
from app.transcripts.store import list_task_events

WEBHOOK_TIMEOUT_SECONDS = 10


@dataclass
class Publishing:
    dispatcher: Dispatcher
    http: httpx.AsyncClient | None

    async def stop(self) -> None:
        await self.dispatcher.stop()
        if self.http is not None:
            await self.http.aclose()


def outbox_stager(settings: FeedbackPublishingSettings, destinations: list[str]) -> Stager:
    def stage(tx: Transaction, event: DomainEvent) -> None:
        if not isinstance(event, FeedbackSubmitted):
            return
        feedback, task = event.feedback, event.task
        events = []
        if task is not None and settings.include_task_info == "stim":
            events = list_task_events(tx.conn, task_id=task.id)
        event_id = str(uuid.uuid4())
        payload = build_payload(
            event_id=event_id,
            mode=settings.include_task_info,
            max_bytes=settings.max_payload_size_bytes,
            feedback=feedback,
            task=task,
            events=events,
        )
        outbox.enqueue(
            tx.conn,
            destinations=destinations,
            event_id=event_id,
            # Delivery keeps order per session; feedback waiting for its trace's task has none.
            session_id=feedback.session_id or f"trace:{feedback.target_id}",
            feedback_id=feedback.id,
            topic=settings.topic,
            payload=payload,
        )

    return stage


def start_publishing(
    settings: FeedbackPublishingSettings, *, db: Database, writer: Writer, bus: EventBus
) -> Publishing | None:
    if not settings.enabled:
        return None
    transports: dict[str, Transport] = {}
    if settings.broker is not None:
        transports[outbox.MQTT] = MqttTransport(settings.broker)
    http = httpx.AsyncClient(timeout=WEBHOOK_TIMEOUT_SECONDS) if settings.webhooks else None
    for index, webhook in enumerate(settings.webhooks):
        assert http is not None
        transports[outbox.webhook_destination(index)] = WebhookTransport(webhook, http)
    dispatcher = Dispatcher(
        db=db,
        writer=writer,
        transports=transports,
        retry_max_seconds=settings.retry_max_seconds,
        warn_pending_seconds=settings.warn_pending_seconds,
    )
    writer.add_stager(outbox_stager(settings, list(transports)))
    bus.subscribe(lambda event: dispatcher.wake() if isinstance(event, FeedbackSubmitted) else None)
    dispatcher.start()
    return Publishing(dispatcher, http)
