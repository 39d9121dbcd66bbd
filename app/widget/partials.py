"""The widget's partials, rendered the same for the page and for the chat's event stream (the
one channel every change to a chat reaches its open pages by), and the filters its templates
use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from markupsafe import Markup
from starlette.requests import HTTPConnection
from starlette.templating import Jinja2Templates

from app.feedback.model import FeedbackView
from app.live.update import LiveUpdate
from app.transcripts.markdown import reply_html
from app.transcripts.model import TaskView
from app.widget.transcript import Window
from app.widget.urls import widget_url


def _reply_html(task: TaskView) -> Markup:
    return reply_html(task.response_text, task.response_html, task.html_version)


def widget_filters() -> dict[str, Callable[..., Any]]:
    """The filters the widget's (and the console's chat) templates use."""
    return {"reply_html": _reply_html, "widget_url": widget_url}


@dataclass(frozen=True)
class Partials:
    """Renders partials outside a request (SSE pushes) with the same context pages use."""

    templates: Jinja2Templates
    feedback_enabled: bool
    agent_name: str

    def context(self, **extra: Any) -> dict[str, Any]:
        return {
            "feedback_enabled": self.feedback_enabled,
            "agent_name": self.agent_name,
            "layout": "chat",
            "token": None,  # pushed partials are shared by every viewer: no one's token in them
            "shown": {},  # task id -> the feedback it shows as given
            **extra,
        }

    def render(self, name: str, **extra: Any) -> str:
        return self.templates.get_template(f"partials/{name}").render(self.context(**extra))

    def new_turn(self, task: TaskView) -> str:
        """A turn as the stream announces it. A page may already show it (rendered after the
        turn was stored, from a position before its event): `arriving` keeps that one."""
        return self.render("_task.html", task=task, arriving=True)

    def reply(self, task: TaskView) -> str:
        return self.render("_reply.html", task=task)

    def feedback_controls(self, task: TaskView, given: FeedbackView | None) -> str:
        shown = {task.id: given} if given is not None else {}
        return self.render("_feedback_controls.html", task=task, shown=shown)

    def live(self, update: LiveUpdate) -> str:
        """What a page swaps in for a live update (the operators' channel gets the id only:
        their pages fetch what they need)."""
        if update.task is None:
            return update.ref
        if update.kind == "task":
            return self.new_turn(update.task)
        if update.kind == "feedback":
            return self.feedback_controls(update.task, update.given)
        return self.reply(update.task)

    def transcript(self, chat_id: str, window: Window) -> str:
        return self.render("_transcript.html", chat_id=chat_id, **window.context())

    def earlier_turns(self, chat_id: str, window: Window, **extra: Any) -> str:
        return self.render("_earlier_turns.html", chat_id=chat_id, **window.context(), **extra)


def partials(conn: HTTPConnection) -> Partials:
    """The widget's partials, built by the lifespan beside the shared services."""
    return cast(Partials, conn.state.partials)
