"""The widget's partials, rendered the same for the page and for the chat's event stream (the
one channel every change to a chat reaches its open pages by), and the filters its templates
use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.requests import HTTPConnection

from app.feedback.model import FeedbackView
from app.i18n.catalogs import DEFAULT, direction, translator
from app.live.update import LiveUpdate
from app.transcripts.markdown import COPY, TABLE, in_language, reply_html
from app.transcripts.model import TaskView
from app.web.templates import LocalizedTemplates
from app.widget.transcript import Window
from app.widget.urls import carried_url


@pass_context
def _reply_html(context: Context, task: TaskView) -> Markup:
    html = reply_html(task.response_text, task.response_html, task.html_version)
    locale = context.get("locale", DEFAULT)
    if locale == DEFAULT:
        return html
    words = translator(locale)
    return in_language(html, words.gettext(COPY), words.gettext(TABLE))


def widget_filters() -> dict[str, Callable[..., Any]]:
    """The filters the widget's (and the console's chat) templates use."""
    return {"reply_html": _reply_html, "widget_url": carried_url}


@dataclass(frozen=True)
class Partials:
    """Renders partials outside a request (SSE pushes) with the same context pages use."""

    templates: LocalizedTemplates
    feedback_enabled: bool
    agent_name: str

    def context(self, locale: str = DEFAULT, **extra: Any) -> dict[str, Any]:
        """`locale`: the language it is written in; what a stream pushes carries it on as
        `lang` (in the links of its forms), as the page that opened the stream did."""
        return {
            "locale": locale,
            "dir": direction(locale),
            "lang": locale,
            "feedback_enabled": self.feedback_enabled,
            "agent_name": self.agent_name,
            "layout": "chat",
            "token": None,  # pushed partials are shared by every viewer: no one's token in them
            "shown": {},  # task id -> the feedback it shows as given
            **extra,
        }

    def render(self, name: str, locale: str, **extra: Any) -> str:
        template = self.templates.template(f"partials/{name}", locale)
        return template.render(self.context(locale, **extra))

    def new_turn(self, task: TaskView, locale: str) -> str:
        """A turn as the stream announces it. A page may already show it (rendered after the
        turn was stored, from a position before its event): `arriving` keeps that one."""
        return self.render("_task.html", locale, task=task, arriving=True)

    def reply(self, task: TaskView, locale: str) -> str:
        return self.render("_reply.html", locale, task=task)

    def feedback_controls(self, task: TaskView, given: FeedbackView | None, locale: str) -> str:
        shown = {task.id: given} if given is not None else {}
        return self.render("_feedback_controls.html", locale, task=task, shown=shown)

    def live(self, update: LiveUpdate, locale: str) -> str:
        """What a page in `locale` swaps in for a live update (the operators' channel gets the
        id only: their pages fetch what they need)."""
        if update.task is None:
            return update.ref
        if update.kind == "task":
            return self.new_turn(update.task, locale)
        if update.kind == "feedback":
            return self.feedback_controls(update.task, update.given, locale)
        return self.reply(update.task, locale)

    def transcript(self, chat_id: str, window: Window, locale: str) -> str:
        return self.render("_transcript.html", locale, chat_id=chat_id, **window.context())

    def earlier_turns(self, chat_id: str, window: Window, locale: str, **extra: Any) -> str:
        return self.render(
            "_earlier_turns.html", locale, chat_id=chat_id, **window.context(), **extra
        )


def partials(conn: HTTPConnection) -> Partials:
    """The widget's partials, built by the lifespan beside the shared services."""
    return cast(Partials, conn.state.partials)
