"""uvicorn's HTTP/1.1 protocols with the two deadlines uvicorn lacks.

uvicorn closes an idle keep-alive connection, and nothing else: a client that connects and
sends its request line and headers a byte at a time (or nothing at all) holds a connection,
a descriptor and a slot under `limit_concurrency` for as long as it likes; so does one that
trickles a body the app never reads (the response went out before the body arrived). Here:

- headers: from the connection's start, or from the first byte of each later request, the
  request line and headers must be complete within `server.header_timeout_seconds`. If part of
  a request came, the client gets `408` and the connection closes; if nothing came, it closes.
- an unread body: once the response is complete, the rest of the request body must arrive
  within `server.body_timeout_seconds`, or the connection closes. (A body the app reads is
  bounded by `web/middleware/body_timeout.py`, which answers 408 in the surface's shape.)

One timer a connection, armed only while the server waits on the client for one of these.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

DEFAULT_HEADER_SECONDS = 10.0
DEFAULT_BODY_SECONDS = 30.0


class ServeConfig(uvicorn.Config):
    """uvicorn's config plus our deadlines. Picklable, so `--workers` carries them along."""

    def __init__(
        self,
        app: Any,
        *,
        header_timeout_seconds: float = DEFAULT_HEADER_SECONDS,
        body_timeout_seconds: float = DEFAULT_BODY_SECONDS,
        **options: Any,
    ) -> None:
        super().__init__(app, **options)
        self.header_timeout_seconds = header_timeout_seconds
        self.body_timeout_seconds = body_timeout_seconds


def _seconds(config: uvicorn.Config) -> tuple[float, float]:
    if isinstance(config, ServeConfig):
        return config.header_timeout_seconds, config.body_timeout_seconds
    return DEFAULT_HEADER_SECONDS, DEFAULT_BODY_SECONDS


def request_timeout(default_headers: list[tuple[bytes, bytes]], seconds: float) -> bytes:
    """A whole 408 response, written raw: there is no request to route yet."""
    text = f"The request headers did not arrive within {seconds:g} seconds.".encode()
    lines = [b"HTTP/1.1 408 Request Timeout"]
    lines += [name + b": " + value for name, value in default_headers]
    lines += [
        b"content-type: text/plain; charset=utf-8",
        b"content-length: " + str(len(text)).encode(),
        b"connection: close",
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + text


class Deadline:
    """The one timer of a connection, and what it waits for ("headers" or "body")."""

    __slots__ = ("handle", "loop", "waiting_for")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.handle: asyncio.TimerHandle | None = None
        self.waiting_for: str | None = None

    def arm(self, waiting_for: str, seconds: float, expired: Callable[[], None]) -> None:
        self.cancel()
        self.waiting_for = waiting_for
        self.handle = self.loop.call_later(seconds, expired)

    def cancel(self, waiting_for: str | None = None) -> None:
        """Stop waiting (only if waiting for `waiting_for`, when named)."""
        if waiting_for is not None and self.waiting_for != waiting_for:
            return
        if self.handle is not None:
            self.handle.cancel()
        self.handle = None
        self.waiting_for = None


class HttpToolsWithDeadlines(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_seconds, self.body_seconds = _seconds(config)
        self.deadline = Deadline(self.loop)
        self.partial = False  # part of a request's head has arrived

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadline.arm("headers", self.header_seconds, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self.deadline.cancel()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.partial = True
        if self.deadline.waiting_for != "headers":  # a fresh connection's is already running
            self.deadline.arm("headers", self.header_seconds, self._headers_late)

    def on_headers_complete(self) -> None:
        self.deadline.cancel("headers")
        self.partial = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self.deadline.waiting_for == "body":
            # The unread body ended after its response: the connection now waits for the
            # next request, and uvicorn's keep-alive timer went with the data that came.
            self.deadline.arm("headers", self.header_seconds, self._headers_late)
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.cycle is not None and self.cycle.more_body:
            self.deadline.arm("body", self.body_seconds, self._close)

    def _headers_late(self) -> None:
        answering = self.cycle is not None and not self.cycle.response_complete
        if self.partial and not answering and not self.transport.is_closing():
            self.transport.write(
                request_timeout(self.server_state.default_headers, self.header_seconds)
            )
        self._close()

    def _close(self) -> None:
        self.deadline.cancel()
        if not self.transport.is_closing():
            self.transport.close()


class H11WithDeadlines(H11Protocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.header_seconds, self.body_seconds = _seconds(config)
        self.deadline = Deadline(self.loop)
        self.partial = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.deadline.arm("headers", self.header_seconds, self._headers_late)

    def connection_lost(self, exc: Exception | None) -> None:
        self.deadline.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # these bytes begin a request's head
            self.partial = True
            if self.deadline.waiting_for != "headers":
                self.deadline.arm("headers", self.header_seconds, self._headers_late)
        super().data_received(data)
        state = self.conn.their_state
        if self.deadline.waiting_for == "headers" and state is not h11.IDLE:
            self.deadline.cancel()
            self.partial = False
        elif self.deadline.waiting_for == "body" and state is not h11.SEND_BODY:
            # As with httptools: the unread body ended; now wait for the next request.
            self.deadline.arm("headers", self.header_seconds, self._headers_late)
            self.partial = False

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.SEND_BODY:
            self.deadline.arm("body", self.body_seconds, self._close)

    def _headers_late(self) -> None:
        if self.partial and not self.transport.is_closing():
            self.transport.write(
                request_timeout(self.server_state.default_headers, self.header_seconds)
            )
        self._close()

    def _close(self) -> None:
        self.deadline.cancel()
        if not self.transport.is_closing():
            self.transport.close()


def default_protocol() -> type[HttpToolsWithDeadlines] | type[H11WithDeadlines]:
    """As uvicorn's "auto": httptools when installed, else h11."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return H11WithDeadlines
    return HttpToolsWithDeadlines
