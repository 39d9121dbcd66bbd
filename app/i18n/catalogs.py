"""The compiled gettext catalogs under `app/locale/<lang>/LC_MESSAGES/messages.mo`, loaded once
per locale and shared by every request, and the callables templates and Python code translate
with.

Templates call `_()`, `gettext`, `ngettext` and `pgettext` (Jinja2's i18n extension) from an
environment per locale with that locale's catalog installed (`app/web/templates.py`). Python
code that produces text a person reads (an error line in a page, a status word) calls
`translator(locale)` on the same catalogs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

from babel.support import NullTranslations, Translations

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
