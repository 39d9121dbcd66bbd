"""Which shipped locale a request reads: the first of its candidates that names one, in the
order the caller gives (a URL parameter, a token claim, the configured default), then the
reader's `Accept-Language` as Babel negotiates it, then English. A value that names no shipped
locale falls through to the next."""

from __future__ import annotations

from babel import negotiate_locale

from app.i18n.catalogs import DEFAULT, SHIPPED

# A language tag's longest sensible length (RFC 5646 allows more; nothing we ship needs it).
TAG_MAX_CHARS = 35


def shipped_locale(value: str | None) -> str | None:
    """The shipped locale a tag names ("de", "de-AT", "pt_BR" -> None), or None."""
    if not value or len(value) > TAG_MAX_CHARS:
        return None
    return negotiate_locale([value.replace("_", "-").lower()], SHIPPED, sep="-")


def _preferred(accept_language: str) -> list[str]:
    """An Accept-Language header's tags, most wanted first (q=0 means "not this one")."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    return [tag for _, _, tag in sorted(weighted)]


def accepted_locale(accept_language: str | None) -> str | None:
    if not accept_language:
        return None
    return negotiate_locale(_preferred(accept_language), SHIPPED, sep="-")


def choose_locale(*candidates: str | None, accept_language: str | None) -> str:
    for candidate in candidates:
        found = shipped_locale(candidate)
        if found is not None:
            return found
    return accepted_locale(accept_language) or DEFAULT
