"""How alert messages leave: staged into the outbox in the unit that changed the alert's state
(so a message exists exactly when the change does), then POSTed by the outbox's dispatcher,
with its retries, to the rule's webhook."""

from __future__ import annotations

import uuid

import httpx

from app.alerts.events import AlertChanged
from app.alerts.message import payload, queue_name
from app.bus import DomainEvent
from app.db.writer import Stager, Transaction
from app.publishing import outbox
from app.publishing.outbox import OutboxMessage
from app.publishing.transports import EVENT_ID_HEADER, DeliveryError

TIMEOUT_SECONDS = 10


def alert_stager(*, app: str) -> Stager:
    def stage(tx: Transaction, event: DomainEvent) -> None:
        if not isinstance(event, AlertChanged):
            return
        queue = queue_name(event.rule.name)
        outbox.enqueue(
            tx.conn,
            destinations=[queue],
            event_id=str(uuid.uuid4()),
            session_id=queue,  # one queue per alert: `resolved` never overtakes `firing`
            feedback_id=None,
            topic=queue,
            payload=payload(event, app=app),
        )

    return stage


class AlertWebhook:
    """POSTs the message as JSON, as a Slack incoming webhook takes it. Errors name the alert,
    never the URL: a Slack webhook URL is itself the secret, and errors reach the health
    endpoint."""

    def __init__(self, url: str, *, alert: str) -> None:
        self._url = url
        self._alert = alert
        self._client = httpx.AsyncClient(timeout=TIMEOUT_SECONDS)

    async def send(self, event: OutboxMessage) -> None:
        headers = {"Content-Type": "application/json", EVENT_ID_HEADER: event.event_id}
        try:
            response = await self._client.post(
                self._url, content=event.payload.encode("utf-8"), headers=headers
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"alert {self._alert!r}: webhook unreachable ({type(exc).__name__})"
            ) from exc
        if not response.is_success:
            raise DeliveryError(f"alert {self._alert!r}: webhook answered {response.status_code}")

    async def close(self) -> None:
        await self._client.aclose()
