"""The widget's own URLs. The widget carries no cookies, so every link, form and stream URL it
renders keeps the end user's token in its query string, and the `lang` its page was asked in:
`widget_url` makes them all, for the handlers, and `carried_url` for the templates (a filter
that finds the language in the template's context)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from jinja2 import pass_context
from jinja2.runtime import Context

LAYOUTS = ("chat", "embed")


def widget_url(path: str, token: str | None, lang: str | None = None) -> str:
    """`path` on the widget, carrying the end user's token and the page's `lang` if any."""
    carried = {name: value for name, value in (("token", token), ("lang", lang)) if value}
    if not carried:
        return path
    return f"{path}{'&' if '?' in path else '?'}{urlencode(carried)}"


@pass_context
def carried_url(context: Context, path: str, token: str | None) -> str:
    lang = context.get("lang")
    return widget_url(path, token, lang if isinstance(lang, str) else None)


def chat_page(layout: object, session_id: str) -> str:
    """A chat's page in `layout`: the full page or the embed (anything else, say a form's
    tampered field, is the full page)."""
    return f"/{layout if layout in LAYOUTS else 'chat'}/{quote(session_id, safe='')}"
