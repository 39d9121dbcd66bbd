"""Numbers, shares and times as the page's locale writes them (Babel's CLDR data): "1,234" in
English is "1.234" in German and "1 234" in French; Arabic keeps Latin digits, as CLDR's `ar`
does. Template filters read the locale from the template's context."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent
from jinja2 import pass_context
from jinja2.runtime import Context

from app.i18n.catalogs import DEFAULT

DASH = "\u2013"  # en dash: nothing to show
MINUS = "\u2212"  # the minus sign, not a hyphen


def _locale(context: Context) -> str:
    locale = context.get("locale")
    return locale if isinstance(locale, str) else DEFAULT


def number(value: float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def share(value: float | None, locale: str) -> str:
    """0.7234 as "72%" ("72 %" in German and French); nothing to show as a dash."""
    return DASH if value is None else format_percent(value, locale=locale)


def moment(ms: int | None, locale: str) -> str:
    """A stored time (Unix ms) in UTC, written the locale's way, with its zone."""
    if ms is None:
        return ""
    when = datetime.fromtimestamp(ms / 1000, UTC)
    return format_datetime(when, "medium", tzinfo=UTC, locale=locale) + " UTC"


@pass_context
def number_filter(context: Context, value: float) -> str:
    return number(value, _locale(context))


@pass_context
def percent_filter(context: Context, value: float | None) -> str:
    return share(value, _locale(context))


@pass_context
def utc_filter(context: Context, ms: int | None) -> str:
    return moment(ms, _locale(context))


def filters() -> dict[str, object]:
    return {"number": number_filter, "percent": percent_filter, "utc": utc_filter}
