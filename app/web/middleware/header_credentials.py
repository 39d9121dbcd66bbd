"""The JSON API takes credentials in headers only.

A `?token=` in a URL ends up in proxy and server logs, and in browser history. Widget pages
and their event stream must take it in the URL (a page link and an EventSource cannot set
headers); the JSON API has no such excuse, so a token there is refused, not quietly used.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import APIError


class HeaderCredentialsOnly:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        if query.startswith(b"token=") or b"&token=" in query:
            raise APIError(
                400,
                "credentials_in_url",
                "Send the token in the Authorization header (Bearer), not in the URL: URLs end "
                "up in proxy logs.",
            )
        await self.app(scope, receive, send)
