"""Bound the time a client may take to send a request body (408 past it, connection closed).

The deadline covers the whole body, from the moment the app first asks for it: a wait per
chunk would let a client that sends a byte just in time hold the connection for
`max_body_bytes` times that wait. At the default limits (30 s for 64 KiB) a client must send
about 2 KiB a second, which any real connection does. Raised where the body is read, inside
the exception middleware, so each surface renders its 408 as it renders every other error.
A body the app never reads is the protocol's to bound (`app/protocols.py`).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import APIError


def request_timeout(seconds: float) -> APIError:
    return APIError(
        408,
        "request_timeout",
        f"The request body did not arrive within {seconds:g} seconds.",
        headers={"Connection": "close"},  # what is left of the body is never read
    )


class BodyTimeout:
    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline: float | None = None
        complete = False

        async def timed_receive() -> Message:
            nonlocal deadline, complete
            if complete:  # after the body only a disconnect is left to wait for, unbounded
                return await receive()
            if deadline is None:
                deadline = asyncio.get_running_loop().time() + self.seconds
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise request_timeout(self.seconds) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        await self.app(scope, timed_receive, send)
