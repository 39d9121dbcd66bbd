"""GET /api/v1/me: who the presented credential is (401 when it is expired or invalid)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.web.credentials import current_identity
from app.web.responses import JSONResponse


async def me(request: Request) -> Response:
    identity = current_identity(request)
    return JSONResponse(
        {
            "user_id": identity.user_id,
            "kind": identity.kind,
            "source": identity.source,
            "scopes": sorted(identity.scopes),
            "session_id": identity.session_limit,
            "name": identity.name,
        }
    )
