"""The Jinja environment every HTML surface renders with: where templates are, how a template
names a static file (`static_url`, hashed by `assets`), and the filters that format figures and
times. Surfaces add their own filters (the widget's reply rendering) when the app is built."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.routing import Router
from starlette.templating import Jinja2Templates

from app import bounds
from app.resources import templates_dir
from app.web.assets import static_urls

HTMX_JS = "vendor/htmx-2.0.11.min.js"
HTMX_SSE_JS = "vendor/htmx-ext-sse-2.2.4.min.js"


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


def build_templates(router: Router) -> Jinja2Templates:
    """The environment, for the app whose `router` serves the static files."""
    templates = Jinja2Templates(directory=str(templates_dir()))
    env = templates.env
    env.filters.update(percent=percent, signed=signed, utc=utc, iso=iso)
    env.globals.update(
        htmx_js=HTMX_JS, htmx_sse_js=HTMX_SSE_JS, bounds=bounds, static_url=static_urls(router)
    )
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates
