"""The locale a request's page is written in, chosen once per request (`app/i18n/negotiation`).

In order: the `lang` URL parameter (embed.js's `locale` option becomes it), else the
`Widget-Lang` header htmx requests carry (the page puts its `lang` there, as it puts the token
in `Authorization`), the signed token's `locale` claim, the configured default
(`widget.locale`), `Accept-Language`, English. A value naming no shipped locale falls through.
The console's pages take the same order; an operator has no token, so no claim.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection

from app.errors import APIError
from app.i18n.catalogs import direction
from app.i18n.negotiation import choose_locale, shipped_locale
from app.web.credentials import current_identity
from app.web.state import services

LANG_HEADER = "widget-lang"
_SCOPE_KEY = "feedback_widget.locale"


def asked_lang(conn: HTTPConnection) -> str | None:
    """The shipped locale the page was asked for by its URL (or, for htmx, the header its page
    set): what the widget's links, forms and stream carry on so every answer keeps it."""
    return shipped_locale(conn.query_params.get("lang") or conn.headers.get(LANG_HEADER))


def _token_claim(conn: HTTPConnection) -> str | None:
    try:
        return current_identity(conn).locale
    except APIError:
        return None  # no valid credential: the error page is written by the other rules


def page_locale(conn: HTTPConnection) -> str:
    known = conn.scope.get(_SCOPE_KEY)
    if isinstance(known, str):
        return known
    state = getattr(conn.state, "services", None)
    default = services(conn).config.widget.locale if state is not None else None
    locale = choose_locale(
        asked_lang(conn),
        _token_claim(conn) if state is not None else None,
        default,
        accept_language=conn.headers.get("accept-language"),
    )
    conn.scope[_SCOPE_KEY] = locale
    return locale


def page_language(conn: HTTPConnection) -> dict[str, Any]:
    """What every page's context holds about its language (the `lang` asked for, to carry on)."""
    locale = page_locale(conn)
    return {"locale": locale, "dir": direction(locale), "lang": asked_lang(conn)}
