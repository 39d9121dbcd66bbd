"""GET /api/v1/health: the version, database reachability, live-update load and the outbox
backlog."""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from app import __version__
from app.clock import now_ms
from app.db.engine import ping
from app.publishing import outbox
from app.web.responses import JSONResponse
from app.web.state import services


def _check(conn: Connection) -> outbox.OutboxStats:
    ping(conn)
    return outbox.stats(conn)


async def health(request: Request) -> Response:
    svc = services(request)
    pending: dict[str, object] | None = None
    try:
        pending = (await svc.db.read(_check)).to_json(now_ms())
        database = "ok"
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    live = svc.live.status()
    healthy = database == "ok" and live.get("cross_instance", "ok") == "ok"
    body = {
        "status": "ok" if healthy else "degraded",
        "version": __version__,
        "instance": svc.instance,
        "database": database,
        "live": live,
        "agent_tasks_running": svc.runner.running,
        "outbox": {"publishing_enabled": svc.publishing is not None, **(pending or {})},
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)
