"""Push API for agent platforms that drive transcripts themselves."""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from app.api.schemas import SessionIn, TaskEventIn, TaskIn, TaskPatch
from app.events.snapshots import TaskView
from app.transcripts import service
from app.transcripts.access import owned_session
from app.transcripts.store import list_tasks
from app.web.credentials import current_identity
from app.web.parsing import json_body
from app.web.responses import JSONResponse
from app.web.state import services


async def create_session(request: Request) -> Response:
    body = await json_body(request, SessionIn)
    chat = await service.push_session(
        services(request).writer,
        current_identity(request),
        user_id=body.user_id,
        session_id=body.id,
        title=body.title,
        agent_id=body.agent_id,
        metadata=body.metadata,
    )
    return JSONResponse(chat.to_json(), status_code=201)


async def create_task(request: Request) -> Response:
    body = await json_body(request, TaskIn)
    task = await service.push_task(
        services(request).writer,
        current_identity(request),
        session_id=request.path_params["session_id"],
        new=service.NewTask(**body.model_dump()),
    )
    return JSONResponse(task.to_json(), status_code=201)


async def update_task(request: Request) -> Response:
    body = await json_body(request, TaskPatch)
    task = await service.change_task(
        services(request).writer,
        current_identity(request),
        task_id=request.path_params["task_id"],
        change=service.TaskChange(**body.model_dump()),
    )
    return JSONResponse(task.to_json())


async def add_task_event(request: Request) -> Response:
    body = await json_body(request, TaskEventIn)
    event = await service.record_task_event(
        services(request).writer,
        current_identity(request),
        task_id=request.path_params["task_id"],
        direction=body.direction,
        topic=body.topic,
        payload=body.payload,
    )
    return JSONResponse(event, status_code=201)


async def list_session_tasks(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    identity = current_identity(request)
    if identity.is_key:
        identity.require("transcripts:write")

    def read(conn: Connection) -> list[TaskView]:
        owned_session(conn, identity, session_id)
        return list_tasks(conn, session_id=session_id)

    tasks = await services(request).db.read(read)
    return JSONResponse([task.to_json() for task in tasks])
