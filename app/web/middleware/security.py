"""Security headers on every response; a strict Content-Security-Policy on HTML pages.

`frame-ancestors` comes from `embed.allowed_origins`, and no X-Frame-Options is sent: it
cannot list origins, and a browser that sees both would let the stricter one win. The
headers are built once, when the app is.
"""

from __future__ import annotations

from typing import ClassVar

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


ALWAYS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, allowed_origins: tuple[str, ...]) -> None:
        self.app = app
        self.on_pages = [
            *ALWAYS,
            (b"content-security-policy", content_security_policy(allowed_origins).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                html = any(
                    name == b"content-type" and value.startswith(b"text/html")
                    for name, value in headers
                )
                message["headers"] = headers + (self.on_pages if html else ALWAYS)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PrivatePages:
    """For the console's pages: never framed (a second policy, which browsers enforce on top
    of the first, so the widget's embedding origins do not apply here), never cached."""

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (b"content-security-policy", b"frame-ancestors 'none'"),
        (b"cache-control", b"no-store"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                message["headers"] = headers + self.HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)
