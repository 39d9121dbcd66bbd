"""A host site on another origin (localhost vs 127.0.0.1, another port) for embedding tests."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class HostSite:
    """Serves `html`, or a plain page framing `iframe_src`."""

    def __init__(self) -> None:
        self.iframe_src = ""
        self.html = ""  # when set, served instead of the plain iframe page
        site = self

        class Host(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (
                    site.html
                    or "<!doctype html><title>Host site</title><h1>Host site</h1>"
                    f'<iframe title="Support chat" src="{site.iframe_src}" '
                    'style="width:420px;height:600px;border:1px solid #ccc"></iframe>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Host)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.url = self.origin + "/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
