"""Jinja environment and the partials shared by pages, htmx responses and SSE pushes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.templating import Jinja2Templates

from app import bounds
from app.events.snapshots import TaskView
from app.transcripts.markdown import reply_html

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
HTMX_JS = "vendor/htmx-2.0.11.min.js"
HTMX_SSE_JS = "vendor/htmx-ext-sse-2.2.4.min.js"


def css_id(dom_id: str) -> str:
    """A `#id` selector for HX-Retarget, escaping what CSS treats specially in our ids."""
    return "#" + re.sub(r"([^A-Za-z0-9_-])", r"\\\1", dom_id)


def with_token(path: str, token: str | None) -> str:
    """Append the end user's token to a widget URL (the widget carries no cookies)."""
    if not token:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode({'token': token})}"


def _reply_html(task: TaskView) -> Markup:
    return reply_html(task.response_text, task.response_html, task.html_version)


DASH = "\u2013"  # en dash: nothing to show
MINUS = "\u2212"  # the minus sign, not a hyphen


def percent(share: float | None) -> str:
    """0.7234 as "72%"; nothing to show as a dash."""
    return DASH if share is None else f"{share * 100:.0f}%"


def signed(change: float | None, unit: str = "%") -> str:
    """A change with its sign, "+12%" or "-3 pts" (a real minus); none (no earlier figure) as
    a dash."""
    if change is None:
        return DASH
    rounded = round(change)
    sign = "+" if rounded > 0 else MINUS if rounded < 0 else "\u00b1"
    return f"{sign}{abs(rounded)}{unit}"


def utc(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.filters["reply_html"] = _reply_html
    env.filters["with_token"] = with_token
    env.filters.update(percent=percent, signed=signed, utc=utc, iso=iso)
    env.globals.update(htmx_js=HTMX_JS, htmx_sse_js=HTMX_SSE_JS, bounds=bounds)
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates


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
            **extra,
        }

    def render(self, name: str, **extra: Any) -> str:
        return self.templates.get_template(f"partials/{name}").render(self.context(**extra))

    def task(self, task: TaskView) -> str:
        return self.render("_task.html", task=task)

    def reply(self, task: TaskView) -> str:
        return self.render("_reply.html", task=task)

    def feedback_controls(self, task: TaskView) -> str:
        return self.render("_feedback_controls.html", task=task)

    def transcript(self, chat_id: str, tasks: list[TaskView], *, has_earlier: bool) -> str:
        return self.render(
            "_transcript.html", chat_id=chat_id, tasks=tasks, has_earlier=has_earlier
        )

    def earlier_turns(
        self, chat_id: str, tasks: list[TaskView], *, has_earlier: bool, **extra: Any
    ) -> str:
        return self.render(
            "_earlier_turns.html", chat_id=chat_id, tasks=tasks, has_earlier=has_earlier, **extra
        )
