"""Cross-site request forgery defence for the widget's form posts (the HTML surface).

The widget uses no cookies. API calls and htmx requests carry their credential in a header,
which a cross-site page cannot add. A plain form post carries at most a token in its URL,
which an attacker does not know. What remains is dev mode, where a form post needs no
credential at all: so every state-changing request here must come from our own origin or
an allowed embedding origin when the browser says where it comes from.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from app.errors import APIError
from app.i18n.catalogs import N_

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class OriginCheck:
    def __init__(self, app: ASGIApp, *, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            origin = Headers(scope=scope).get("origin")
            if origin is not None and origin not in self.allowed:
                url = HTTPConnection(scope).url
                if origin != f"{url.scheme}://{url.netloc}":
                    raise APIError(
                        403, "cross_site_request", N_("Cross-site form posts are refused.")
                    )
        await self.app(scope, receive, send)
