"""GET /api/v1/health: is the database reachable, and what is the live hub holding."""

from __future__ import annotations

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.state import services


async def health(request: Request) -> Response:
    svc = services(request)
    try:
        async with svc.db.read() as session:
            await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    body = {
        "status": "ok" if database == "ok" else "degraded",
        "database": database,
        "live": {
            "subscribers": svc.hub.subscriber_count(),
            "channels": svc.hub.channel_count(),
        },
        "agent_tasks_running": svc.runner.running,
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)
