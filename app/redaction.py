"""What a log line may show of a URL or an upstream's message: never a credential.

Credentials travel in URLs where nothing else can carry them (the widget's `?token=`, which a
page link and an EventSource need) and by mistake (a key pasted into a query string, a model
server URL with a password in it). Logs are kept longer and read by more people than either,
so whatever is logged goes through here first:

- a query parameter whose name, decoded and in any case, names a credential (`token`,
  `%74oken`, `TOKEN`, `api_key`, ...) keeps its name and loses its value;
- anything that decodes to a JSON Web Token, wherever it is;
- the password of a `scheme://user:password@host` URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

REDACTED = "[redacted]"
CREDENTIAL_NAMES = frozenset(
    {
        "token", "access_token", "id_token", "refresh_token", "jwt", "auth", "authorization",
        "api_key", "apikey", "api-key", "x-api-key", "key", "secret", "client_secret",
        "password", "passwd", "signature", "sig",
    }
)  # fmt: skip
# A JWT's header is base64url JSON, so it starts with `eyJ` (`{"`); three dot-joined parts.
JWT = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_URL_PASSWORD = re.compile(r"(://[^/\s:@]+:)[^/\s@]+@")
# name=value pairs inside free text (an exception's message quoting a URL).
_PAIR = re.compile(r"([?&;\s]|^)([^=&?;\s]+)=([^&\s'\"]*)")


def _credential(name: str) -> bool:
    return unquote_plus(name).strip().lower() in CREDENTIAL_NAMES


def query(text: str) -> str:
    """A raw query string with credential values replaced."""
    if not text:
        return text
    pieces = []
    for piece in text.split("&"):
        name, _, value = piece.partition("=")
        if _credential(name) or JWT.search(unquote_plus(value)):
            piece = f"{name}={REDACTED}"
        elif JWT.search(unquote_plus(name)):
            piece = REDACTED
        pieces.append(piece)
    return "&".join(pieces)


def path(text: str, secrets: Iterable[str] = ()) -> str:
    """A path with JWTs and the given secrets (credential path parameters) replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return JWT.sub(REDACTED, text)


def target(text: str, secrets: Iterable[str] = ()) -> str:
    """A request target (`/path?query`) as a log line may show it."""
    raw_path, sep, raw_query = text.partition("?")
    return path(raw_path, secrets) + sep + query(raw_query)


def text(message: str) -> str:
    """Free text (an upstream's error, which may quote a URL) as a log line may show it."""

    def pair(match: re.Match[str]) -> str:
        lead, name, _value = match.groups()
        return f"{lead}{name}={REDACTED}" if _credential(name) else match.group(0)

    message = _URL_PASSWORD.sub(rf"\1{REDACTED}@", message)
    return JWT.sub(REDACTED, _PAIR.sub(pair, message))
