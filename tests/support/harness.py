"""The in-process app a test talks to: a fresh app and database, its client, its services,
and the domain events it raised (the `harness` and `make_harness` fixtures build one)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import Connection, Executable
from starlette.applications import Starlette

from app.bus import DomainEvent
from app.config import settings_from_mapping
from app.main import create_app
from app.web.state import Services
from tests.support import config_dict


@dataclass
class Harness:
    app: Starlette
    asgi: Any  # the app as served, with the lifespan's state
    client: httpx.AsyncClient
    services: Services
    events: list[DomainEvent]

    async def new_session(self, **body: Any) -> str:
        response = await self.client.post("/api/v1/sessions", json=body)
        assert response.status_code == 201, response.text
        session_id: str = response.json()["id"]
        return session_id

    async def rows(self, statement: Executable) -> list[Any]:
        """Rows of a query against the app's database (for checks the API cannot make)."""
        return await self.services.db.read(lambda conn: list(conn.execute(statement).all()))

    async def change(self, *statements: Executable) -> None:
        """Run statements through the app's writer, in one unit of work."""

        def unit(conn: Connection) -> None:
            for statement in statements:
                conn.execute(statement)

        await self.services.writer.run(lambda tx: unit(tx.conn))

    async def completed_task(self, session_id: str, text: str = "hi", **body: Any) -> str:
        payload = {"request_text": text, "status": "completed", "response_text": "Hello!", **body}
        response = await self.client.post(f"/api/v1/sessions/{session_id}/tasks", json=payload)
        assert response.status_code == 201, response.text
        task_id: str = response.json()["id"]
        return task_id


HarnessFactory = Callable[..., Awaitable[Harness]]


@asynccontextmanager
async def served(**options: Any) -> AsyncIterator[Harness]:
    """An app the test starts and stops itself (`make_harness` stops its apps at the end),
    for what happens at shutdown or across a restart on the same `database_url`."""
    app = create_app(settings_from_mapping(config_dict(**options), env={}))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            harness = Harness(app, manager.app, client, app.state.services, [])
            harness.services.bus.subscribe(harness.events.append)
            yield harness
