"""The transactional outbox's writing side: each stored feedback, and each review action on
one, becomes one outbox row per destination, written inside the unit of work that stored it,
so an event exists exactly when its change does."""

from __future__ import annotations

import uuid

from app.bus import DomainEvent
from app.config.publishing import FeedbackPublishingSettings
from app.db.writer import Stager, Transaction
from app.feedback.events import FeedbackReviewed, FeedbackSubmitted
from app.publishing import outbox
from app.publishing.payloads import build_payload
from app.transcripts.store import list_task_events


def outbox_stager(settings: FeedbackPublishingSettings, destinations: list[str]) -> Stager:
    def stage(tx: Transaction, event: DomainEvent) -> None:
        if not isinstance(event, FeedbackSubmitted | FeedbackReviewed):
            return
        feedback, task = event.feedback, event.task
        review = event.entry if isinstance(event, FeedbackReviewed) else None
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
            review=review,
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
