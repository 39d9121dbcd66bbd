"""Per-session live event fan-out with bounded client queues and a replay buffer.

Event ids are `<boot>-<seq>`: a client reconnecting with a Last-Event-ID from
an earlier process (or older than the buffer) is told to resync instead of
silently missing events.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LiveMessage:
    id: str
    seq: int
    event: str
    data: str


@dataclass(eq=False)
class Subscriber:
    session_id: str
    queue: asyncio.Queue[LiveMessage | None]
    resync: bool = False
    dropped: bool = False


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

    def cursor(self, session_id: str) -> str:
        """The id of the newest event; a page rendered now replays everything after it."""
        self._channel(session_id).last_activity = time.monotonic()
        return f"{self.boot}-{self._last_seq}"

    def watching(self, session_id: str) -> bool:
        """Whether anything here would keep an event of this session (an open page or stream)."""
        return session_id in self._channels

    def _channel(self, session_id: str) -> _Channel:
        channel = self._channels.get(session_id)
        if channel is None:
            channel = _Channel(deque(maxlen=self._buffer_size), floor=self._last_seq)
            self._channels[session_id] = channel
        return channel

    def publish(self, session_id: str, event: str, data: str, *, supersedes: bool = False) -> None:
        """Fan out to the session's clients. `supersedes`: this event carries the full state
        of its name, so older buffered events of that name are dropped from replay."""
        seq = next(self._seq)
        self._last_seq = seq
        channel = self._channels.get(session_id)
        if channel is None:
            return  # nobody has opened this session here; a later page reads the database
        message = LiveMessage(f"{self.boot}-{seq}", seq, event, data)
        if supersedes:
            stale = [old for old in channel.buffer if old.event == event]
            for old in stale:
                channel.buffer.remove(old)
        channel.buffer.append(message)
        channel.last_activity = time.monotonic()
        for subscriber in list(channel.subscribers):
            try:
                subscriber.queue.put_nowait(message)
            except asyncio.QueueFull:
                self._drop(channel, subscriber)

    def _drop(self, channel: _Channel, subscriber: Subscriber) -> None:
        # A stalled client loses its place, not everyone's: it reconnects and replays.
        channel.subscribers.discard(subscriber)
        subscriber.dropped = True
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.queue.put_nowait(None)

    def subscribe(self, session_id: str, last_event_id: str | None) -> Subscriber:
        channel = self._channel(session_id)
        subscriber = Subscriber(session_id, asyncio.Queue(maxsize=self._queue_size))
        if last_event_id:
            missed = self._missed(channel, last_event_id)
            if missed is None or len(missed) >= self._queue_size:
                subscriber.resync = True
            else:
                for message in missed:
                    subscriber.queue.put_nowait(message)
        channel.subscribers.add(subscriber)
        return subscriber

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

    def subscriber_count(self, session_id: str | None = None) -> int:
        if session_id is not None:
            channel = self._channels.get(session_id)
            return len(channel.subscribers) if channel else 0
        return sum(len(channel.subscribers) for channel in self._channels.values())

    def channel_count(self) -> int:
        return len(self._channels)
