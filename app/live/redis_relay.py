"""Live events shared by every instance, through Redis (`sse.fanout_url: redis://…`).

Each committed change goes to Redis once, from the instance that made it: one script appends
it to the session's stream (`<prefix>:live:<session>`, trimmed to the replay buffer, expiring
when idle) and publishes it on one channel. The stream's entry ids are the event ids, so a
client that reconnects to any instance with `Last-Event-ID` replays from the stream exactly
what it missed. Each process holds one subscription to the channel, never one per client, and
renders an event only when its own pages watch that session.

Writes never wait for Redis. While it is out of reach, pages on the same instance still
update (with local ids, which force a resync later); the WARNING log and /api/v1/health say
cross-instance updates are degraded; sessions whose events could not be shared get a resync
marker in their stream once Redis is back; and every instance, on getting its subscription
back, ends its clients' streams so that they reconnect and replay what they missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.live.update import LiveUpdate

log = logging.getLogger("feedback_widget.live")
ENTRY_ID = re.compile(r"^\d+-\d+$")
EMPTY_STREAM = "0-0"  # a page rendered before its session had any event
IDLE_STREAM_MS = 86_400_000
RETRY_SECONDS = (0.2, 0.5, 1.0, 2.0, 5.0)
# Append to the session's stream, keep it short and expiring, and tell every instance.
_SHARE = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[2], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[6] .. '\\n' .. id .. '\\n' .. ARGV[3])
return id
"""
# (session id, entry id, update; None for a resync marker)
Deliver = Callable[[str, str, LiveUpdate | None], None]


class RedisRelay:
    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        buffer_size: int,
        deliver: Deliver,
        deliver_here: Callable[[LiveUpdate, str], None],
        resubscribed: Callable[[], None],
    ) -> None:
        self._client = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._channel = f"{prefix}:live"
        self._buffer = buffer_size
        self._deliver = deliver  # an event from the channel (any instance's, ours included)
        self._deliver_here = deliver_here  # ours, straight to our pages, while unsubscribed
        self._resubscribed = resubscribed
        self._share = self._client.register_script(_SHARE)
        # Updates to share, in commit order; None asks for the resync markers only.
        self._queue: asyncio.Queue[LiveUpdate | None] = asyncio.Queue()
        self._unshared: set[str] = set()  # sessions whose events Redis missed
        self._local = 0
        self.subscribed = False
        self.error: str | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}:live:{session_id}"

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._publish_forever(), name="live-redis-publisher"),
            asyncio.create_task(self._subscribe_forever(), name="live-redis-subscriber"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._client.aclose()

    @property
    def degraded(self) -> bool:
        return not self.subscribed or bool(self._unshared)

    def _trouble(self, what: str, exc: Exception) -> None:
        message = f"{what}: {type(exc).__name__}: {exc}"
        if self.error is None:
            log.warning("live updates across instances are degraded (%s)", message)
        self.error = message

    # --- publishing ---------------------------------------------------------------------------

    def send(self, update: LiveUpdate) -> None:
        """After commit (the bus listener): share it, in commit order, without waiting."""
        self._queue.put_nowait(update)

    async def _publish_forever(self) -> None:
        while True:
            update = await self._queue.get()
            try:
                if self._unshared:
                    await self._mark_unshared()
                if update is None:
                    continue
                entry = await self._share(
                    keys=[self._key(update.session_id)],
                    args=[self._buffer, "u", update.encode(), IDLE_STREAM_MS, self._channel,
                          update.session_id],
                )  # fmt: skip
                if not self.subscribed:
                    self._deliver_here(update, _text(entry))
            except RedisError as exc:
                self._trouble("cannot publish", exc)
                if update is not None:
                    self._unshared.add(update.session_id)
                    self._local += 1
                    self._deliver_here(update, f"local-{self._local}")

    async def _mark_unshared(self) -> None:
        """Redis is back: put a resync marker in each session whose events it missed."""
        for session_id in list(self._unshared):
            await self._share(
                keys=[self._key(session_id)],
                args=[self._buffer, "r", "", IDLE_STREAM_MS, self._channel, session_id],
            )
            self._unshared.discard(session_id)
        if self.subscribed:
            log.warning("live updates across instances are restored")
            self.error = None

    # --- subscribing --------------------------------------------------------------------------

    async def _subscribe_forever(self) -> None:
        failures = 0
        while True:
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                if failures:
                    # Messages may have passed us by: every client replays from the streams.
                    self._resubscribed()
                    self._queue.put_nowait(None)  # and mark what we could not share
                    if not self._unshared:
                        log.warning("live updates across instances are restored")
                        self.error = None
                self.subscribed, failures = True, 0
                async for message in pubsub.listen():
                    self._received(message["data"])
            except (RedisError, OSError) as exc:
                self.subscribed = False
                self._trouble("subscription lost", exc)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _received(self, data: bytes) -> None:
        session, _, rest = data.partition(b"\n")
        entry, _, record = rest.partition(b"\n")
        session_id = session.decode()
        update = LiveUpdate.decode(session_id, record) if record else None
        self._deliver(session_id, entry.decode(), update)

    # --- reading the streams ------------------------------------------------------------------

    async def newest_id(self, session_id: str) -> str | None:
        """The id of the session's newest event (a page rendered now replays after it);
        None while Redis cannot be read."""
        try:
            newest = await self._client.xrevrange(self._key(session_id), count=1)
        except RedisError as exc:
            self._trouble("cannot read", exc)
            return None
        return _text(newest[0][0]) if newest else EMPTY_STREAM

    async def missed(self, session_id: str, last_id: str, limit: int) -> list[Any] | None:
        """(id, update) pairs after `last_id`, oldest first; None when the client must resync
        (an id from elsewhere, trimmed away, lost while Redis was out, or too many)."""
        if not ENTRY_ID.match(last_id):
            return None
        start = "-" if last_id == EMPTY_STREAM else last_id
        try:
            read = await self._client.xrange(self._key(session_id), min=start, count=limit + 2)
        except RedisError as exc:
            self._trouble("cannot read", exc)
            return None
        entries: list[Any] = list(read or [])
        if last_id != EMPTY_STREAM:
            if not entries or _text(entries[0][0]) != last_id:
                return None  # the client's last event is gone: we cannot tell what followed
            entries = entries[1:]
        if len(entries) > limit:
            return None
        found = []
        for entry, fields in entries:
            record = (fields or {}).get(b"u")
            if not isinstance(record, bytes):
                return None  # a resync marker: events of this session were lost here
            found.append((_text(entry), LiveUpdate.decode(session_id, record)))
        return found

    def status(self) -> dict[str, Any]:
        return {
            "fanout": "redis",
            "cross_instance": "degraded" if self.degraded else "ok",
            "error": self.error,
        }


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
