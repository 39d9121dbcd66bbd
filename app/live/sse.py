"""A lean Server-Sent Events response: one loop a client, writing what the hub queued.

sse-starlette's EventSourceResponse runs a task group a client (the stream, a pinger, a
disconnect watcher) and encodes every event for every client: measured at 10,000 clients,
48 KB each and 486 new streams a second. Here a client costs its connection, one small task
that notices the disconnect, and its Subscriber. Events arrive already encoded (with
sse-starlette's encoder, once per event); whatever queued while the client was being written
to goes out in one write; and one sweep in the hub asks idle clients for their keep-alive
ping, instead of a timer a client.

A stream opened with a credential that expires (an end user's token, an operator's console
session) ends when it does, with an `auth-expired` event: the page asks for a fresh credential
and reconnects from the last event it saw, so it loses nothing and an expired credential
never keeps receiving.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from starlette.types import Receive, Scope, Send

from app.live.hub import LiveHub, Subscriber

Recheck = Callable[[], Awaitable[bool]]
PING = b": ping\r\n\r\n"
# No id: the client's last event id stays that of the last real event, to resume from.
AUTH_EXPIRED = b"event: auth-expired\r\ndata: expired\r\n\r\n"
HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),  # nginx: do not buffer the stream
]
# A client whose socket takes no data for this long is gone, whatever TCP says.
SEND_TIMEOUT_SECONDS = 30.0


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class LiveStream:
    def __init__(
        self,
        hub: LiveHub,
        subscriber: Subscriber,
        *,
        first: bytes = b"",
        expires_at: float | None = None,
        still_allowed: Recheck | None = None,
        recheck_seconds: float = 15.0,
    ) -> None:
        self.hub = hub
        self.subscriber = subscriber
        self.first = first  # sent before anything queued: the resync transcript
        self.expires_at = expires_at  # Unix seconds: when the credential that opened it expires
        # A credential that can end before it expires (a console session signed out on any
        # instance) is asked again before a write, at most every `recheck_seconds`.
        self.still_allowed = still_allowed
        self.recheck_seconds = recheck_seconds
        self.checked_at = time.monotonic()
        self.expired = False

    async def _revoked(self) -> bool:
        if self.still_allowed is None:
            return False
        now = time.monotonic()
        if now - self.checked_at < self.recheck_seconds:
            return False
        self.checked_at = now
        return not await self.still_allowed()

    def _expire(self) -> None:
        self.expired = True
        self.subscriber.wake()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        subscriber = self.subscriber
        loop = asyncio.get_running_loop()
        gone = loop.create_task(_until_disconnected(receive))
        gone.add_done_callback(lambda _: subscriber.wake())
        deadline = None
        if self.expires_at is not None:
            # One timer, cancelled with the stream; time.time(): `exp` is wall-clock time.
            deadline = loop.call_later(max(0.0, self.expires_at - time.time()), self._expire)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
            if self.first:
                await self._write(send, self.first)
            while not gone.done():
                if not self.expired and (subscriber.pending or subscriber.ping_due):
                    self.expired = await self._revoked()
                if self.expired:
                    await self._write(send, AUTH_EXPIRED)
                    break
                if subscriber.pending:
                    locale = subscriber.locale
                    chunk = b"".join(message.wire(locale) for message in subscriber.pending)
                    subscriber.pending.clear()
                    await self._write(send, chunk)
                elif subscriber.dropped:
                    break  # fell too far behind: end the stream; the client reconnects
                elif subscriber.ping_due:
                    subscriber.ping_due = False
                    await self._write(send, PING)
                else:
                    subscriber.waiter = loop.create_future()
                    await subscriber.waiter
            if not gone.done():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            pass  # the client stopped reading; its connection goes with this response
        finally:
            gone.cancel()
            if deadline is not None:
                deadline.cancel()
            self.hub.unsubscribe(subscriber)

    async def _write(self, send: Send, body: bytes) -> None:
        async with asyncio.timeout(SEND_TIMEOUT_SECONDS):
            await send({"type": "http.response.body", "body": body, "more_body": True})
        self.subscriber.last_sent = time.monotonic()
