"""The JSON API takes credentials in headers only.

A `?token=` in a URL ends up in proxy and server logs, and in browser history. Widget pages
and their event stream must take it in the URL (a page link and an EventSource cannot set
headers); the JSON API has no such excuse, so a token there is refused, not quietly used.

The check decides on the names as Starlette's query parser decodes them (the parser the
credential resolver reads), never on raw bytes: `?%74oken=…` and `?t%6Fken=…` are `token` to
the resolver, so they are `token` here too. Case and surrounding spaces are ignored on top
(`?Token=`, `?token+=`): the resolver would not read those, but they put a credential in a
log all the same, and a client sending one has made the mistake this check is for.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import APIError

CREDENTIAL_NAMES = frozenset({"token"})


def credential_in_query(query_string: bytes) -> bool:
    """Whether a decoded parameter name of the query is a credential's."""
    if not query_string:
        return False
    names = QueryParams(query_string).keys()
    return any(name.strip().casefold() in CREDENTIAL_NAMES for name in names)


class HeaderCredentialsOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if credential_in_query(scope.get("query_string", b"")):
            raise APIError(
                400,
                "credentials_in_url",
                "Send the token in the Authorization header (Bearer), not in the URL: URLs end "
                "up in proxy logs.",
            )
        await self.app(scope, receive, send)
