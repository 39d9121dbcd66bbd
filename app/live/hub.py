"""Per-session live event fan-out with bounded client buffers and a replay buffer.

With one process (`memory://` fan-out) the hub numbers events itself: ids are `<boot>-<seq>`,
so a client reconnecting with a Last-Event-ID from an earlier process (or older than the
buffer) is told to resync instead of silently missing events. With Redis fan-out the ids
come from Redis and so does replay (`app/live/redis_relay.py`); the hub then only delivers.

An event is rendered and encoded once per language its clients read (as Server-Sent Events
bytes, sse-starlette's encoder), however many clients receive it, and only when the first of
them is written to. A client is a small object: a deque of pending messages and one future
its stream awaits. A client that falls `client_queue_size` messages behind is dropped, not
waited for: it reconnects and replays.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from sse_starlette import ServerSentEvent

# An event's data in a locale: a page's partial in the language of the page that listens.
Render = Callable[[str], str]
NEUTRAL = "en"  # the locale of `LiveMessage.data`, and of a client that names none


@dataclass(frozen=True, slots=True)
class LiveMessage:
    id: str
    seq: int
    event: str
    render: Render
    wires: dict[str, bytes] = field(default_factory=dict)  # locale -> the encoded event

    @classmethod
    def of(cls, event_id: str, seq: int, event: str, data: str | Render) -> LiveMessage:
        return cls(event_id, seq, event, data if callable(data) else (lambda _locale: data))

    def wire(self, locale: str) -> bytes:
        """The event as every client reading `locale` receives it: rendered once for them."""
        encoded = self.wires.get(locale)
        if encoded is None:
            encoded = self.wires[locale] = encode(self.event, self.render(locale), self.id)
        return encoded

    @property
    def data(self) -> str:
        return self.render(NEUTRAL)


def encode(event: str, data: str, event_id: str) -> bytes:
    return ServerSentEvent(data=data, event=event, id=event_id).encode()


class Subscriber:
    __slots__ = (
        "dropped", "last_sent", "limit", "locale", "pending", "ping_due", "resync", "session_id",
        "waiter",
    )  # fmt: skip

    def __init__(self, session_id: str, limit: int, locale: str = NEUTRAL) -> None:
        self.session_id = session_id
        self.locale = locale  # the language of the page it feeds
        self.limit = limit
        self.pending: deque[LiveMessage] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.resync = False
        self.dropped = False
        self.ping_due = False
        self.last_sent = time.monotonic()

    def push(self, message: LiveMessage) -> bool:
        """Queue a message; False when the client is too far behind to keep."""
        if len(self.pending) >= self.limit:
            return False
        self.pending.append(message)
        self.wake()
        return True

    def drop(self) -> None:
        self.dropped = True
        self.pending.clear()
        self.wake()

    def wake(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


@dataclass
class _Channel:
    buffer: deque[LiveMessage]
    floor: int  # the global seq when this channel was (re)created; it knows nothing older
    subscribers: set[Subscriber] = field(default_factory=set)
    last_activity: float = field(default_factory=time.monotonic)


class LiveHub:
    def __init__(self, *, client_queue_size: int, replay_buffer_size: int) -> None:
        self.boot = secrets.token_hex(4)
        self._seq = itertools.count(1)
        self._last_seq = 0
        self._queue_size = client_queue_size
        self._buffer_size = replay_buffer_size
        self._channels: dict[str, _Channel] = {}

    @property
    def queue_size(self) -> int:
        return self._queue_size

    def touch(self, session_id: str) -> None:
        """A page of this session is open here: keep its events from now on."""
        self._channel(session_id).last_activity = time.monotonic()

    def position(self, session_id: str) -> str:
        """The id of the newest event; a page rendered now replays everything after it."""
        self.touch(session_id)
        return self.newest_id()

    def watching(self, session_id: str) -> bool:
        """Whether anything here would keep an event of this session (an open page or stream)."""
        return session_id in self._channels

    def _channel(self, session_id: str) -> _Channel:
        channel = self._channels.get(session_id)
        if channel is None:
            channel = _Channel(deque(maxlen=self._buffer_size), floor=self._last_seq)
            self._channels[session_id] = channel
        return channel

    def publish(
        self, session_id: str, event: str, data: str | Render, *, supersedes: bool = False
    ) -> None:
        """Fan out to the session's clients. `data` may be rendered per locale, when a client
        of that locale is first written to. `supersedes`: this event carries the full state
        of its name, so older buffered events of that name are dropped from replay."""
        seq = next(self._seq)
        self._last_seq = seq
        channel = self._channels.get(session_id)
        if channel is None:
            return  # nobody has opened this session here; a later page reads the database
        event_id = f"{self.boot}-{seq}"
        message = LiveMessage.of(event_id, seq, event, data)
        if supersedes:
            stale = [old for old in channel.buffer if old.event == event]
            for old in stale:
                channel.buffer.remove(old)
        channel.buffer.append(message)
        channel.last_activity = time.monotonic()
        for subscriber in list(channel.subscribers):
            if not subscriber.push(message):
                # A stalled client loses its place, not everyone's: it reconnects and replays.
                channel.subscribers.discard(subscriber)
                subscriber.drop()

    def deliver(self, session_id: str, message: LiveMessage) -> None:
        """Hand an event numbered elsewhere (Redis) to this process's clients of the session."""
        channel = self._channels.get(session_id)
        if channel is None:
            return
        channel.last_activity = time.monotonic()
        for subscriber in list(channel.subscribers):
            if not subscriber.push(message):
                channel.subscribers.discard(subscriber)
                subscriber.drop()

    def subscribe(
        self, session_id: str, last_event_id: str | None, locale: str = NEUTRAL
    ) -> Subscriber:
        channel = self._channel(session_id)
        missed = self._missed(channel, last_event_id) if last_event_id else []
        return self.attach(session_id, missed, locale)

    def attach(
        self, session_id: str, missed: list[LiveMessage] | None, locale: str = NEUTRAL
    ) -> Subscriber:
        """A new client of the session reading `locale`, given what it missed (None: it must
        resync)."""
        channel = self._channel(session_id)
        subscriber = Subscriber(session_id, self._queue_size, locale)
        if missed is None or len(missed) >= self._queue_size:
            subscriber.resync = True
        else:
            subscriber.pending.extend(missed)
        channel.subscribers.add(subscriber)
        return subscriber

    def drop_session(self, session_id: str) -> None:
        """End the streams of one session's clients: they reconnect and replay (or resync)."""
        channel = self._channels.get(session_id)
        if channel is not None:
            for subscriber in channel.subscribers:
                subscriber.drop()
            channel.subscribers.clear()

    def _missed(self, channel: _Channel, last_event_id: str) -> list[LiveMessage] | None:
        boot, _, seq_text = last_event_id.partition("-")
        if boot != self.boot or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        if seq > self._last_seq or seq < channel.floor:
            return None
        buffer = channel.buffer
        if len(buffer) == buffer.maxlen and buffer[0].seq > seq + 1:
            return None  # some of what the client missed may have been evicted
        return [message for message in buffer if message.seq > seq]

    def unsubscribe(self, subscriber: Subscriber) -> None:
        channel = self._channels.get(subscriber.session_id)
        if channel is not None:
            channel.subscribers.discard(subscriber)

    def sweep(self, idle_seconds: float) -> int:
        """Forget channels nobody listens to and nothing was published on for a while."""
        cutoff = time.monotonic() - idle_seconds
        idle = [
            session_id
            for session_id, channel in self._channels.items()
            if not channel.subscribers and channel.last_activity < cutoff
        ]
        for session_id in idle:
            del self._channels[session_id]
        return len(idle)

    def close_all(self) -> None:
        """End every client's stream (the server is shutting down): they reconnect elsewhere."""
        for channel in self._channels.values():
            for subscriber in channel.subscribers:
                subscriber.drop()
            channel.subscribers.clear()

    def ping_idle(self, idle_seconds: float) -> int:
        """Ask every client that has been sent nothing for `idle_seconds` to send a ping: one
        sweep for all of them, instead of a timer a client."""
        cutoff = time.monotonic() - idle_seconds
        due = 0
        for channel in self._channels.values():
            for subscriber in channel.subscribers:
                if subscriber.last_sent < cutoff and not subscriber.ping_due:
                    subscriber.ping_due = True
                    subscriber.wake()
                    due += 1
        return due

    def subscriber_count(self, session_id: str | None = None) -> int:
        if session_id is not None:
            channel = self._channels.get(session_id)
            return len(channel.subscribers) if channel else 0
        return sum(len(channel.subscribers) for channel in self._channels.values())

    def channel_count(self) -> int:
        return len(self._channels)

    def newest_id(self) -> str:
        return f"{self.boot}-{self._last_seq}"
