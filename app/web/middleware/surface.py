"""Marks every request under a mount with its surface, which decides how errors look."""

from __future__ import annotations

from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from app.web.handlers import SURFACE_KEY

SurfaceName = Literal["html", "api", "compat", "portkey", "voltagent"]


class Surface:
    def __init__(self, app: ASGIApp, *, name: SurfaceName) -> None:
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[SURFACE_KEY] = self.name
        await self.app(scope, receive, send)
