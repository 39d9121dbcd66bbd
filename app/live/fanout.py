"""Domain events to open pages: the bus listener, the position a page starts from, the streams.

With `memory://` fan-out the hub numbers and buffers events itself. With Redis, every update
goes through Redis (`redis_relay.py`) and comes back to every instance, which renders it for
its own watchers only. Either way an update is rendered at most once per instance and language
its pages read, when a stream of that language first writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.bus import DomainEvent, EventBus
from app.config.live import SSESettings
from app.live.hub import NEUTRAL, LiveHub, LiveMessage, Subscriber
from app.live.redis_relay import RedisRelay
from app.live.update import LiveUpdate

# Turns an update into what its page swaps in, in the page's locale (the widget's partials);
# given by the app, so the fan-out never needs to know the pages it feeds.
Renderer = Callable[[LiveUpdate, str], str]


class LiveFanout:
    def __init__(
        self, hub: LiveHub, render: Renderer, settings: SSESettings, *, key_prefix: str
    ) -> None:
        self.hub = hub
        self.render = render
        self.relay: RedisRelay | None = None
        if settings.shared:
            self.relay = RedisRelay(
                settings.fanout_url,
                prefix=key_prefix,
                buffer_size=settings.replay_buffer_size,
                deliver=self._arrived,
                deliver_here=self._here,
                resubscribed=hub.close_all,
            )

    def attach(self, bus: EventBus) -> None:
        bus.subscribe(self._on_event)
        if self.relay is not None:
            self.relay.start()

    async def stop(self) -> None:
        if self.relay is not None:
            await self.relay.stop()

    def _rendering(self, update: LiveUpdate) -> Callable[[str], str]:
        return lambda locale: self.render(update, locale)

    def _message(self, update: LiveUpdate, event_id: str) -> LiveMessage:
        return LiveMessage.of(event_id, 0, update.name, self._rendering(update))

    def _on_event(self, event: DomainEvent) -> None:
        for update in LiveUpdate.of(event):
            if self.relay is not None:
                self.relay.send(update)
            elif self.hub.watching(update.session_id):  # nothing to render for otherwise
                self.hub.publish(
                    update.session_id,
                    update.name,
                    self._rendering(update),
                    supersedes=update.supersedes,
                )

    def _arrived(self, session_id: str, event_id: str, update: LiveUpdate | None) -> None:
        """From Redis: any instance's update (or resync marker) for a session."""
        if update is None:
            # Events of this session were lost while Redis was out: its clients reconnect,
            # replay from the stream, meet the marker, and resync.
            self.hub.drop_session(session_id)
        elif self.hub.watching(session_id):
            self.hub.deliver(session_id, self._message(update, event_id))

    def _here(self, update: LiveUpdate, event_id: str) -> None:
        """Ours, straight to our own pages, while Redis does not bring it back to us."""
        if self.hub.watching(update.session_id):
            self.hub.deliver(update.session_id, self._message(update, event_id))

    async def position(self, session_id: str) -> str:
        """The id of the newest event: a page rendered now replays everything after it."""
        self.hub.touch(session_id)
        if self.relay is not None:
            shared = await self.relay.newest_id(session_id)
            if shared is not None:
                return shared
        return self.hub.newest_id()

    async def subscribe(
        self, session_id: str, last_event_id: str | None, locale: str = NEUTRAL
    ) -> Subscriber:
        if self.relay is None:
            return self.hub.subscribe(session_id, last_event_id, locale)
        missed: list[LiveMessage] | None = []
        if last_event_id:
            limit = self.hub.queue_size
            found = await self.relay.missed(session_id, last_event_id, limit)
            missed = None if found is None else self._latest_states(found)
        return self.hub.attach(session_id, missed, locale)

    def _latest_states(self, found: list[tuple[str, LiveUpdate]]) -> list[LiveMessage]:
        """Replay in order, but of updates that carry a whole state only the newest."""
        newest = {update.name: event_id for event_id, update in found if update.supersedes}
        return [
            self._message(update, event_id)
            for event_id, update in found
            if not update.supersedes or newest[update.name] == event_id
        ]

    def status(self) -> dict[str, Any]:
        shared = self.relay.status() if self.relay is not None else {"fanout": "memory"}
        return {
            "subscribers": self.hub.subscriber_count(),
            "channels": self.hub.channel_count(),
            **shared,
        }
