"""Security headers on every response; a strict Content-Security-Policy on HTML pages.

`frame-ancestors` comes from `embed.allowed_origins`, and no X-Frame-Options is sent: it
cannot list origins, and a browser that sees both would let the stricter one win.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(allowed_origins: tuple[str, ...]) -> str:
    ancestors = " ".join(("'self'", *allowed_origins))
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",  # no inline scripts or handlers anywhere
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        )
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.csp = content_security_policy(allowed_origins).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
                if headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = self.csp.decode()
            await send(message)

        await self.app(scope, receive, send_with_headers)
