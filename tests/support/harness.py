"""The in-process app a test talks to: a fresh app and database, its client, its services,
and the domain events it raised (the `harness` and `make_harness` fixtures build one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import Connection, Executable
from starlette.applications import Starlette

from app.bus import DomainEvent
from app.web.state import Services


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
