"""The widget's own URLs. The widget carries no cookies, so every link, form and stream URL it
renders keeps the end user's token in its query string: `widget_url` makes them all, for the
templates (a filter) and the handlers alike."""

from __future__ import annotations

from urllib.parse import quote, urlencode

LAYOUTS = ("chat", "embed")


def widget_url(path: str, token: str | None) -> str:
    """`path` on the widget, carrying the end user's token when there is one."""
    if not token:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode({'token': token})}"


def chat_page(layout: object, session_id: str) -> str:
    """A chat's page in `layout`: the full page or the embed (anything else, say a form's
    tampered field, is the full page)."""
    return f"/{layout if layout in LAYOUTS else 'chat'}/{quote(session_id, safe='')}"
