"""The compiled gettext catalogs under `app/locale/<lang>/LC_MESSAGES/messages.mo`, loaded once
per locale and shared by every request, and the callables templates and Python code translate
with.

Templates call `_()`, `gettext` and `ngettext` (Jinja2's i18n extension, new style): the
callables here read the locale from the template's context (`locale`), so one environment serves
every language with no per-request setup. Python code that produces text a person reads (an
error line in a page, a status word) calls `translator(locale)` on the same catalogs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
Language = Literal["en", "de", "fr", "es", "ja", "ar"]
SHIPPED: tuple[str, ...] = get_args(Language)
DEFAULT = "en"
# Written right to left: `<html dir="rtl">` and the stylesheets' logical properties mirror the
# page for them.
RIGHT_TO_LEFT = frozenset({"ar"})


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is shown."""
    return message


@lru_cache(maxsize=len(SHIPPED))
def translator(locale: str) -> NullTranslations:
    """The catalog of a shipped locale (English's own, so its plural rules apply too)."""
    if locale not in SHIPPED:
        locale = DEFAULT
    return Translations.load(str(LOCALE_DIR), [locale], DOMAIN)


def direction(locale: str) -> str:
    return "rtl" if locale in RIGHT_TO_LEFT else "ltr"


def _context_locale(context: Context) -> str:
    locale = context.get("locale")
    return locale if isinstance(locale, str) else DEFAULT


@pass_context
def template_gettext(context: Context, message: str) -> str:
    return translator(_context_locale(context)).gettext(message)


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return translator(_context_locale(context)).ngettext(singular, plural, count)


@pass_context
def template_pgettext(context: Context, where: str, message: str) -> str:
    return str(translator(_context_locale(context)).pgettext(where, message))


@pass_context
def template_translate(context: Context, message: str) -> str:
    """A message known only when the page is rendered (an error's detail, a stored status
    line): the catalog's translation if it has one (its msgid was marked with `N_` where it is
    made), else the message itself. Unlike `_()` it is never a format string and never marked
    safe, so text that may hold what a user typed stays escaped."""
    return str(translator(_context_locale(context)).gettext(message))
