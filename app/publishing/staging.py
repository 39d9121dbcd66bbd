"""The transactional outbox's writing side: each stored feedback becomes one outbox row per
destination, written inside the unit of work that stored it, so an event exists exactly when
its feedback does."""

from __future__ import annotations

import uuid

from app.bus import DomainEvent
from app.config.publishing import FeedbackPublishingSettings
from app.db.writer import Stager, Transaction
from app.feedback.events import FeedbackSubmitted
from app.publishing import outbox
from app.publishing.payloads import build_payload
from app.transcripts.store import list_task_events


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
