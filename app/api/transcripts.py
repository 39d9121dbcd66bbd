"""Push API for agent platforms that drive transcripts themselves."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.actions import acting_user, owned_session, owned_task
from app.api.parsing import json_body
from app.api.schemas import SessionIn, TaskEventIn, TaskIn, TaskPatch
from app.events import TaskCreated, TaskFinished, TaskUpdated
from app.identity import current_identity
from app.state import services
from app.store import sessions as session_store
from app.store import tasks as task_store
from app.views_model import SessionView, TaskView


async def create_session(request: Request) -> Response:
    body = await json_body(request, SessionIn)
    identity = current_identity(request)
    identity.require("transcripts:write")
    user_id = acting_user(identity, body.user_id, "transcripts:write")
    async with services(request).writer.transaction() as tx:
        row = await session_store.create_session(
            tx.session,
            user_id=user_id,
            session_id=body.id,
            title=body.title,
            agent_id=body.agent_id,
            metadata=body.metadata,
        )
        view = SessionView.of(row)
    return JSONResponse(view.to_json(), status_code=201)


async def create_task(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    body = await json_body(request, TaskIn)
    identity = current_identity(request)
    identity.require("transcripts:write")
    async with services(request).writer.transaction() as tx:
        chat = await owned_session(tx.session, identity, session_id)
        row = await task_store.create_task(
            tx.session,
            chat_session=chat,
            task_id=body.id,
            request_text=body.request_text,
            status=body.status,
            response_text=body.response_text,
            model=body.model,
            prompt_version=body.prompt_version,
            metadata=body.metadata,
            trace_id=body.trace_id,
            cost=body.cost,
        )
        view = TaskView.of(row)
        tx.emit(TaskCreated(view))
    return JSONResponse(view.to_json(), status_code=201)


async def update_task(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    body = await json_body(request, TaskPatch)
    identity = current_identity(request)
    identity.require("transcripts:write")
    async with services(request).writer.transaction() as tx:
        row = await owned_task(tx.session, identity, task_id)
        await task_store.update_task(
            tx.session,
            task=row,
            append_text=body.append_text,
            response_text=body.response_text,
            status=body.status,
            error=body.error,
        )
        view = TaskView.of(row)
        tx.emit(TaskFinished(view) if view.finished else TaskUpdated(view))
    return JSONResponse(view.to_json())


async def add_task_event(request: Request) -> Response:
    task_id = request.path_params["task_id"]
    body = await json_body(request, TaskEventIn)
    identity = current_identity(request)
    identity.require("transcripts:write")
    async with services(request).writer.transaction() as tx:
        await owned_task(tx.session, identity, task_id)
        event = await task_store.add_task_event(
            tx.session,
            task_id=task_id,
            direction=body.direction,
            topic=body.topic,
            payload=body.payload,
        )
        result = {
            "id": event.id,
            "task_id": event.task_id,
            "created_time": event.created_time,
            "direction": event.direction,
            "topic": event.topic,
            "payload": event.payload,
        }
    return JSONResponse(result, status_code=201)


async def list_session_tasks(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    identity = current_identity(request)
    if identity.is_key:
        identity.require("transcripts:write")
    async with services(request).db.read() as session:
        await owned_session(session, identity, session_id)
        rows = await task_store.list_tasks(session, session_id=session_id)
    return JSONResponse([TaskView.of(row).to_json() for row in rows])
