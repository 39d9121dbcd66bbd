from __future__ import annotations

from typing import Any

import pytest

from app.live.hub import LiveHub, Subscriber
from app.widget.partials import Partials
from tests.support.harness import Harness


def hub(queue: int = 8, buffer: int = 16) -> LiveHub:
    return LiveHub(client_queue_size=queue, replay_buffer_size=buffer)


def drain(subscriber: Subscriber) -> list[str | None]:
    """What the client would receive now; None once it has been dropped."""
    found: list[str | None] = [message.data for message in subscriber.pending]
    subscriber.pending.clear()
    return [*found, None] if subscriber.dropped else found


async def test_events_reach_subscribers_of_their_session_only() -> None:
    live = hub()
    mine, other = live.subscribe("a", None), live.subscribe("b", None)
    live.publish("never-opened", "e", "dropped")
    live.publish("a", "e", "one")
    assert (drain(mine), drain(other)) == (["one"], [])


async def test_sessions_nobody_opened_keep_nothing() -> None:
    live = hub()
    live.publish("a", "e", "one")
    assert live.channel_count() == 0


async def test_superseding_events_replay_only_the_latest_state() -> None:
    live = hub()
    cursor = live.position("a")
    live.publish("a", "task-created", "turn")
    for text in ("H", "He", "Hello"):
        live.publish("a", "reply-t", text, supersedes=True)
    live.publish("a", "reply-u", "other", supersedes=True)
    assert drain(live.subscribe("a", cursor)) == ["turn", "Hello", "other"]


async def test_reconnect_replays_what_was_missed() -> None:
    live = hub()
    cursor = live.position("a")
    live.publish("a", "e", "one")
    first = live.subscribe("a", cursor)
    assert drain(first) == ["one"]
    live.unsubscribe(first)
    seen = live.position("a")
    live.publish("a", "e", "two")
    live.publish("b", "e", "elsewhere")
    live.publish("a", "e", "three")
    assert drain(live.subscribe("a", seen)) == ["two", "three"]


@pytest.mark.parametrize("last_id", ["another-boot-3", "garbage", "x-999"])
async def test_unknown_or_foreign_ids_ask_for_a_resync(last_id: str) -> None:
    live = hub()
    live.publish("a", "e", "one")
    assert live.subscribe("a", last_id).resync is True


async def test_ids_older_than_the_buffer_ask_for_a_resync() -> None:
    live = hub(queue=64, buffer=4)
    cursor = live.position("a")
    for number in range(10):
        live.publish("a", "e", str(number))
    assert live.subscribe("a", cursor).resync is True


async def test_a_stalled_client_is_dropped_without_blocking_others() -> None:
    live = hub(queue=2)
    stalled, healthy = live.subscribe("a", None), live.subscribe("a", None)
    for number in range(3):
        live.publish("a", "e", str(number))
        drain(healthy) if number < 2 else None
    assert stalled.dropped is True
    assert drain(stalled) == [None]
    assert drain(healthy) == ["2"]
    assert live.subscriber_count("a") == 1


async def test_unsubscribe_and_sweep_leave_nothing_behind() -> None:
    live = hub()
    subscriber = live.subscribe("a", None)
    live.publish("a", "e", "x")
    live.unsubscribe(subscriber)
    assert live.subscriber_count() == 0
    assert live.sweep(idle_seconds=0) == 1
    assert live.channel_count() == 0


async def test_a_swept_channel_cannot_pretend_nothing_was_missed() -> None:
    live = hub()
    cursor = live.position("a")
    live.publish("a", "e", "one")
    live.sweep(idle_seconds=0)
    assert live.subscribe("a", cursor).resync is True


async def test_unwatched_sessions_cost_no_rendering(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    original = Partials.render

    def spy(self: Partials, name: str, **extra: Any) -> str:
        rendered.append(name)
        return original(self, name, **extra)

    monkeypatch.setattr(Partials, "render", spy)
    session_id = await harness.new_session()
    await harness.completed_task(session_id)
    assert rendered == []  # pushed by an agent platform, open nowhere: nothing rendered
    await harness.services.live.position(session_id)  # a page opens the session
    await harness.completed_task(session_id)
    assert rendered == []  # nobody has read it yet: still nothing rendered


async def test_an_update_is_rendered_once_per_language_its_streams_read(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[tuple[str, str]] = []
    original = Partials.render

    def spy(self: Partials, name: str, locale: str, **extra: Any) -> str:
        rendered.append((name, locale))
        return original(self, name, locale, **extra)

    monkeypatch.setattr(Partials, "render", spy)
    session_id = await harness.new_session()
    live = harness.services.live
    cursor = await live.position(session_id)
    readers = [await live.subscribe(session_id, cursor, locale) for locale in ("de", "ar", "de")]
    await harness.completed_task(session_id)
    wires = [[message.wire(reader.locale) for message in reader.pending] for reader in readers]
    assert rendered.count(("_task.html", "de")) == 1
    assert rendered.count(("_task.html", "ar")) == 1
    assert wires[0] == wires[2] != wires[1]
    assert "Gefällt mir" in wires[0][0].decode() and "أعجبني" in wires[1][-1].decode()
