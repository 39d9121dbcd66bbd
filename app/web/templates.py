"""The Jinja environment every HTML surface renders with: where templates are, how a template
names a static file (`static_url`, hashed by `assets`), the filters that format figures and
times for the page's locale, and Jinja2's i18n extension on the shared catalogs (`app/i18n`).
Every page and partial is rendered with `locale` (and `dir`) in its context: a context
processor adds them to pages, `Partials` to what a stream pushes. Surfaces add their own
filters (the widget's reply rendering) when the app is built."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, Template
from markupsafe import Markup, escape
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.routing import Router
from starlette.templating import Jinja2Templates, _TemplateResponse

from app import bounds
from app.i18n import catalogs, formats
from app.resources import templates_dir
from app.web.assets import static_urls

HTMX_JS = "vendor/htmx-2.0.11.min.js"
HTMX_SSE_JS = "vendor/htmx-ext-sse-2.2.4.min.js"


DASH = formats.DASH
MINUS = formats.MINUS


def signed(change: float | None, unit: str = "%") -> str:
    """A change with its sign, "+12%" or "-3 pts" (a real minus); none (no earlier figure) as
    a dash."""
    if change is None:
        return DASH
    rounded = round(change)
    sign = "+" if rounded > 0 else MINUS if rounded < 0 else "\u00b1"
    return f"{sign}{abs(rounded)}{unit}"


# The one thumb icon: the widget's Like and Dislike buttons and the console show it (emoji fonts
# are not everywhere). A function, not a template macro: a macro imported by a partial is looked
# up again on every include, for every turn of a chat page.
THUMB_PATH = (
    "M2 21h4V9H2v12zm20-11c0-1.1-.9-2-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 "
    "8 6 8.5 6 9v10c0 1.1.9 2 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"
)


@lru_cache(maxsize=8)
def thumb(rating: str, size: int = 18) -> Markup:
    turn = ' transform="rotate(180 12 12)"' if rating == "down" else ""
    return Markup(
        f'<svg class="thumb-icon thumb-{escape(rating)}" aria-hidden="true" viewBox="0 0 24 24" '
        f'width="{int(size)}" height="{int(size)}"><path{turn} d="{THUMB_PATH}"/></svg>'
    )


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


# What a page's context holds about its language (`locale`, `dir`, the `lang` to carry on),
# from its request: `app/web/languages.py` decides it.
PageLanguage = Callable[[Request], dict[str, Any]]


class LocalizedTemplates(Jinja2Templates):
    """Templates in one environment per shipped locale: overlays of the shared one, each with
    its catalog installed as plain gettext callables, made on first use and kept. A page
    renders in its request's locale (`page_language`), a partial in the one it is asked for;
    a `_()` costs one catalog lookup, not a context lookup and a format on every call."""

    def __init__(self, directory: str, page_language: PageLanguage) -> None:
        super().__init__(directory=directory)
        self.page_language = page_language
        self._environments: dict[str, Environment] = {}

    def environment(self, locale: str) -> Environment:
        env = self._environments.get(locale)
        if env is None:
            env = self.env.overlay()
            # An overlay shares its parent's globals dict: its own copy takes the catalog.
            env.globals = dict(self.env.globals)
            words = catalogs.translator(locale)
            env.globals.update(
                _=words.gettext,
                gettext=words.gettext,
                ngettext=words.ngettext,
                pgettext=words.pgettext,
                translate=words.gettext,  # a message known at render time: never formatted
            )
            self._environments[locale] = env
        return env

    def template(self, name: str, locale: str) -> Template:
        return self.environment(locale).get_template(name)

    def TemplateResponse(
        self,
        request: Request,
        name: str,
        context: dict[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: BackgroundTask | None = None,
    ) -> _TemplateResponse:
        language = self.page_language(request)
        context = {"request": request, **(context or {}), **language}
        return _TemplateResponse(
            self.template(name, language["locale"]),
            context,
            status_code=status_code,
            headers=headers,
            media_type=media_type,
            background=background,
        )


def build_templates(router: Router, page_language: PageLanguage) -> LocalizedTemplates:
    """The environments, for the app whose `router` serves the static files; `page_language`
    tells a request's language."""
    templates = LocalizedTemplates(str(templates_dir()), page_language)
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    # Old-style gettext: `{% trans %}` formats its own variables (escaped, into a string marked
    # safe); `_()` returns plain text, which autoescaping escapes like any other.
    env.install_gettext_translations(  # type: ignore[attr-defined]
        catalogs.translator(catalogs.DEFAULT), newstyle=False
    )
    env.globals["translate"] = catalogs.translator(catalogs.DEFAULT).gettext
    env.filters.update(signed=signed, iso=iso, **formats.filters())
    env.globals.update(
        htmx_js=HTMX_JS,
        htmx_sse_js=HTMX_SSE_JS,
        bounds=bounds,
        static_url=static_urls(router),
        thumb=thumb,
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates
