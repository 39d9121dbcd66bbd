"""Where events go: an MQTT broker (aiomqtt, MQTT 5) or an HTTP webhook (HMAC-signed)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import ssl
import time
import uuid
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiomqtt
import httpx
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from app.config.publishing import BrokerSettings, WebhookSettings
from app.publishing.outbox import OutboxMessage

SIGNATURE_HEADER = "X-Feedback-Widget-Signature"
TIMESTAMP_HEADER = "X-Feedback-Widget-Timestamp"
EVENT_ID_HEADER = "X-Feedback-Widget-Event-Id"


class DeliveryError(Exception):
    """The destination refused or could not take the event; it will be retried. Its other
    events wait too, unless `only_this_event` (this one is not ready for it yet)."""

    def __init__(self, message: str, *, only_this_event: bool = False) -> None:
        super().__init__(message)
        self.only_this_event = only_this_event


class Transport(Protocol):
    async def send(self, event: OutboxMessage) -> None: ...

    async def close(self) -> None: ...


class MqttTransport:
    def __init__(self, settings: BrokerSettings, *, timeout: float = 10) -> None:
        url = urlsplit(settings.url)
        self._secure = url.scheme == "mqtts"
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port or (8883 if self._secure else 1883)
        self._username = unquote(url.username) if url.username else None
        self._password = unquote(url.password) if url.password else None
        self._client_id = settings.client_id or f"feedback-widget-{uuid.uuid4().hex[:12]}"
        self._qos = settings.qos
        self._timeout = timeout
        self._client: aiomqtt.Client | None = None
        self._watcher: asyncio.Task[None] | None = None

    async def _connected(self) -> aiomqtt.Client:
        if self._client is None:
            client = aiomqtt.Client(
                self._host,
                self._port,
                username=self._username,
                password=self._password,
                identifier=self._client_id,
                protocol=aiomqtt.ProtocolVersion.V5,
                tls_context=ssl.create_default_context() if self._secure else None,
                timeout=self._timeout,
            )
            try:
                await client.__aenter__()
            except aiomqtt.MqttError as exc:
                raise DeliveryError(f"cannot connect to MQTT broker: {exc}") from exc
            self._client = client
            self._watcher = asyncio.create_task(self._watch(client), name="mqtt-connection-watch")
        return self._client

    async def _watch(self, client: aiomqtt.Client) -> None:
        """Notice a dropped connection as it happens (aiomqtt reports it through `messages`)."""
        with contextlib.suppress(aiomqtt.MqttError):
            async for _message in client.messages:
                pass
        if self._client is client:
            self._client = None

    async def send(self, event: OutboxMessage) -> None:
        client = await self._connected()
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.UserProperty = [("event_id", event.event_id)]
        try:
            await client.publish(
                event.topic or "",
                event.payload.encode("utf-8"),
                qos=self._qos,
                properties=properties,
                timeout=self._timeout,
            )
        except aiomqtt.MqttError as exc:
            await self.close()  # reconnect from scratch on the next attempt
            raise DeliveryError(f"MQTT publish failed: {exc}") from exc

    async def close(self) -> None:
        client, self._client = self._client, None
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if client is not None:
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256 over `<timestamp>.<body>`; the timestamp stops replays."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookTransport:
    def __init__(self, settings: WebhookSettings, client: httpx.AsyncClient) -> None:
        self._url = settings.url
        self._secret = settings.secret
        self._client = client

    async def send(self, event: OutboxMessage) -> None:
        body = event.payload.encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            EVENT_ID_HEADER: event.event_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"webhook {self._url} unreachable: {exc!r}") from exc
        if not response.is_success:
            raise DeliveryError(f"webhook {self._url} answered {response.status_code}")

    async def close(self) -> None:
        pass  # the shared HTTP client is closed by the dispatcher's owner
