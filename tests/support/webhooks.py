"""A real HTTP receiver for webhooks (alerts, feedback events), on a port of its own that it
keeps across a stop and a start (so a test can take it down and bring it back where the server
expects it). With `failures`, it answers the first that many deliveries with 500."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import free_port


class WebhookReceiver:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[int] = []  # the status each delivery was answered with
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/alerts"
        self.messages: list[dict[str, Any]] = []
        self.content_types: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if len(outer.calls) < outer.failures:
                    outer.calls.append(500)
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                outer.calls.append(200)
                outer.content_types.append(self.headers["Content-Type"])
                outer.messages.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")  # what Slack answers

            def log_message(self, *args: object) -> None:
                pass

        self._handler = Handler

    def start(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def states(self) -> list[str]:
        """The `state` of each message received, in order."""
        return [message["state"] for message in self.messages]


@contextmanager
def webhook_receiver(*, started: bool = True, failures: int = 0) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(failures)
    if started:
        receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
