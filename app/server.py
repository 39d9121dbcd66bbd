"""Running the app under uvicorn, for `feedback-widget serve`.

Live streams never end on their own, and uvicorn waits for open connections before it shuts
the app down. So the moment shutdown begins (SIGTERM, Ctrl-C), every live stream is ended:
browsers reconnect, to another instance if there is one, instead of holding this one open.
Anything still running gets SHUTDOWN_GRACE_SECONDS, then is closed.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.applications import Starlette

SHUTDOWN_GRACE_SECONDS = 3


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, *, on_exit: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._on_exit()


def end_live_streams(app: Starlette) -> None:
    """Drop every live client (the lifespan puts the hub's closer on the app's state)."""
    close: Callable[[], None] | None = getattr(app.state, "end_live_streams", None)
    if close is not None:
        close()


def serve(app: Starlette, *, host: str, port: int, log_level: str) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
    )
    Server(config, on_exit=lambda: end_live_streams(app)).run()
