"""Feedback into Arize Phoenix: each feedback on a turn this server traced becomes an
annotation on the turn's span, through the outbox (so a Phoenix outage loses nothing).

The annotation's `identifier` is the feedback id, so a changed feedback (a new score through
a dialect's PATCH) replaces its annotation instead of adding one, and a redelivery after a
lost answer changes nothing. A feedback can arrive before its span: the span is exported in
the background a few seconds after the turn ends. Phoenix answers 404 naming the span until
it has it; that event alone is retried (the destination is fine), and given up with a
warning after UNKNOWN_SPAN_ATTEMPTS (about ten minutes with the default backoff cap), when
the span was evidently never exported there.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx

from app.bus import DomainEvent
from app.config.observability import PhoenixSettings
from app.db.writer import Stager, Transaction
from app.feedback.events import FeedbackSubmitted
from app.feedback.model import FeedbackView
from app.publishing import outbox
from app.publishing.outbox import OutboxMessage
from app.publishing.payloads import encode
from app.publishing.transports import DeliveryError

log = logging.getLogger("feedback_widget.publishing")
PHOENIX = "phoenix"
UNKNOWN_SPAN_ATTEMPTS = 20
# Phoenix's annotator kinds, by who gave the feedback (decided by the credential).
ANNOTATOR_KINDS = {"customer": "HUMAN", "platform": "HUMAN", "model": "LLM"}


def annotation(feedback: FeedbackView, span_id: str) -> dict[str, Any]:
    """The feedback as one of Phoenix's span annotations (POST /v1/span_annotations)."""
    return {
        "span_id": span_id,
        "name": feedback.key,
        "annotator_kind": ANNOTATOR_KINDS.get(feedback.source, "HUMAN"),
        "identifier": feedback.id,
        "result": {
            "label": feedback.label or feedback.rating,
            "score": feedback.score,
            "explanation": feedback.comment,
        },
        "metadata": {
            "feedback_id": feedback.id,
            "task_id": feedback.task_id,
            "session_id": feedback.session_id,
            "rating": feedback.rating,
            "reasons": list(feedback.reasons),
            "source": feedback.source,
            "via": feedback.via,
            "weight": feedback.weight,
        },
    }


def annotation_stager() -> Stager:
    """Stage an annotation for each feedback on a traced turn, in the unit that stored it."""

    def stage(tx: Transaction, event: DomainEvent) -> None:
        if not isinstance(event, FeedbackSubmitted) or event.task is None:
            return
        span_id = event.task.otel_span_id
        if span_id is None or event.feedback.session_id is None:
            return  # a turn that was not traced here (pushed by a platform, tracing off)
        outbox.enqueue(
            tx.conn,
            destinations=[PHOENIX],
            event_id=str(uuid.uuid4()),
            session_id=event.feedback.session_id,
            feedback_id=event.feedback.id,
            topic=PHOENIX,
            payload=encode({"data": [annotation(event.feedback, span_id)]}),
        )

    return stage


class PhoenixTransport:
    def __init__(self, settings: PhoenixSettings, client: httpx.AsyncClient) -> None:
        assert settings.url is not None
        self._url = settings.url.rstrip("/") + "/v1/span_annotations"
        self._headers = {"Content-Type": "application/json"}
        if settings.api_key:
            self._headers["Authorization"] = f"Bearer {settings.api_key}"
        self._client = client

    async def send(self, event: OutboxMessage) -> None:
        try:
            response = await self._client.post(
                # sync: answer once stored, and 404 for a span Phoenix does not have yet.
                self._url,
                params={"sync": "true"},
                content=event.payload.encode("utf-8"),
                headers=self._headers,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"Phoenix at {self._url} unreachable: {exc!r}") from exc
        if response.is_success:
            return
        span_id = _span_of(event)
        if response.status_code == 404 and span_id in response.text:
            if event.attempts + 1 >= UNKNOWN_SPAN_ATTEMPTS:
                log.warning(
                    "Phoenix still does not know span %s after %d attempts; feedback event %s "
                    "is dropped (were the turn's spans exported to it?)",
                    span_id,
                    event.attempts + 1,
                    event.event_id,
                )
                return
            raise DeliveryError(f"Phoenix does not know span {span_id} yet", only_this_event=True)
        raise DeliveryError(f"Phoenix answered {response.status_code}: {response.text[:300]}")

    async def close(self) -> None:
        pass  # the shared HTTP client is closed by the dispatcher's owner


def _span_of(event: OutboxMessage) -> str:
    span_id: str = json.loads(event.payload)["data"][0]["span_id"]
    return span_id
