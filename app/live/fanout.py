"""Turns domain events into rendered partials on the live hub, once per event."""

from __future__ import annotations

from collections.abc import Callable

from app.events.bus import EventBus
from app.events.domain import DomainEvent, FeedbackSubmitted, TaskCreated
from app.live.hub import LiveHub
from app.web.rendering import Partials

TASK_CREATED = "task-created"
TRANSCRIPT = "transcript"


def reply_event(task_id: str) -> str:
    return f"reply-{task_id}"


def feedback_event(task_id: str) -> str:
    return f"feedback-{task_id}"


def attach_live_updates(bus: EventBus, hub: LiveHub, partials: Partials) -> Callable[[], None]:
    def on_event(event: DomainEvent) -> None:
        task = event.task
        if task is None or not hub.watching(task.session_id):
            return  # no page or stream has this session open here: nothing to render for

        if isinstance(event, TaskCreated):
            hub.publish(task.session_id, TASK_CREATED, partials.task(task))
        elif isinstance(event, FeedbackSubmitted):
            controls = partials.feedback_controls(task)
            hub.publish(task.session_id, feedback_event(task.id), controls, supersedes=True)
        else:
            reply = partials.reply(task)
            hub.publish(task.session_id, reply_event(task.id), reply, supersedes=True)

    return bus.subscribe(on_event)
