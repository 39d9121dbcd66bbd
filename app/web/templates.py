"""The Jinja environment every HTML surface renders with: where templates are, how a template
names a static file (`static_url`, hashed by `assets`), the filters that format figures and
times for the page's locale, and Jinja2's i18n extension on the shared catalogs (`app/i18n`).
Every page and partial is rendered with `locale` (and `dir`) in its context: a context
processor adds them to pages, `Partials` to what a stream pushes. Surfaces add their own
filters (the widget's reply rendering) when the app is built."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.routing import Router
from starlette.templating import Jinja2Templates

from app import bounds
from app.i18n import catalogs, formats
from app.web.assets import PROJECT_ROOT, static_urls
from app.web.languages import asked_lang, page_locale

TEMPLATES_DIR = PROJECT_ROOT / "templates"
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


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def page_language(request: Request) -> dict[str, Any]:
    """What every page's context holds about its language (the `lang` asked for, to carry on)."""
    locale = page_locale(request)
    return {"locale": locale, "dir": catalogs.direction(locale), "lang": asked_lang(request)}


def build_templates(router: Router) -> Jinja2Templates:
    """The environment, for the app whose `router` serves the static files."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[page_language])
    env = templates.env
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        catalogs.template_gettext,
        catalogs.template_ngettext,
        newstyle=True,
        pgettext=catalogs.template_pgettext,
    )
    env.filters.update(signed=signed, iso=iso, **formats.filters())
    env.globals["translate"] = catalogs.template_translate
    env.globals.update(
        htmx_js=HTMX_JS, htmx_sse_js=HTMX_SSE_JS, bounds=bounds, static_url=static_urls(router)
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates
