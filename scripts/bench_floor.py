"""The floor `make bench` compares against: a plain Starlette app with no database.

It parses the same JSON and answers with the same status and a body of the same shape as
ours, so the ratio says what our rules, storage and rendering cost on top of the framework.
"""

from __future__ import annotations

import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROW = {
    "id": "3f1c9a52-8d0e-4c8e-9b8e-2f4f5f0b6a11",
    "session_id": "5b0e1f8a-3c2d-4e5f-8a9b-0c1d2e3f4a5b",
    "task_id": "7c8d9e0f-1a2b-4c3d-8e5f-6a7b8c9d0e1f",
    "user_id": "dev_user",
    "rating": "up",
    "comment": "Clear and to the point, thanks.",
    "created_time": 1763800000000,
    "key": "thumbs",
    "score": 1.0,
    "label": None,
    "weight": 1.0,
    "source": "customer",
    "via": "api",
    "target": {"kind": "task", "id": "7c8d9e0f-1a2b-4c3d-8e5f-6a7b8c9d0e1f"},
    "agent_id": "Echo agent",
    "organisation": None,
    "prompt": None,
    "environment": None,
    "event_time": None,
    "metadata": {},
    "reasons": [],
}


async def post(request: Request) -> Response:
    await request.json()
    return JSONResponse({"status": "feedback received", "id": str(uuid.uuid4())}, 202)


async def post_task(request: Request) -> Response:
    body = await request.json()
    return JSONResponse({"id": str(uuid.uuid4()), **body}, 201)


async def listing(request: Request) -> Response:
    return JSONResponse([ROW] * 20, headers={"X-Total-Count": "3000"})


app = Starlette(
    routes=[
        Route("/api/v1/feedback", post, methods=["POST"]),
        Route("/api/v1/feedback", listing, methods=["GET"]),
        Route("/api/v1/sessions/{session_id}/tasks", post_task, methods=["POST"]),
    ]
)
