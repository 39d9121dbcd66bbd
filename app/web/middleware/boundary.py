"""Paths and query strings meet the boundary rule (`app/boundary.py`) before any route reads them.

Declared on every mount, after its surface, so a refusal looks like every other error there.
What is judged is what handlers read: the decoded path (path parameters are parts of it) and
each query name and value as Starlette decodes them, since a `%00` only becomes NUL there.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from app.boundary import check_fields, check_text


class CleanInput:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        check_text(scope["path"], ["path"])
        query: bytes = scope.get("query_string", b"")
        # Decoding turns invalid UTF-8 into U+FFFD, never into a surrogate, so only a NUL (sent
        # as `%00`, or raw) can make a decoded query unstorable: without one, nothing to decode.
        if b"%00" in query or b"\x00" in query:
            # Decoded as Starlette's QueryParams decodes them.
            check_fields(parse_qsl(query.decode("latin-1"), keep_blank_values=True), "query")
        await self.app(scope, receive, send)
