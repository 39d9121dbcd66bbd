"""Push API for agent platforms that drive transcripts themselves."""

from __future__ import annotations

from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from app.api.schemas import SessionIn, TaskEventIn, TaskIn, TaskPatch, TranscriptQuery
from app.errors import invalid_query
from app.feedback.model import FeedbackView
from app.feedback.store.rows import shown_on_tasks
from app.transcripts import service
from app.transcripts.access import owned_session, task_not_found
from app.transcripts.model import NewTask, TaskChange, TaskView
from app.transcripts.store import get_task, list_tasks, task_window
from app.web.credentials import current_identity
from app.web.parsing import json_body, query_params
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
        new=NewTask(**body.model_dump()),
    )
    return JSONResponse(task.to_json(), status_code=201)


async def update_task(request: Request) -> Response:
    body = await json_body(request, TaskPatch)
    task = await service.change_task(
        services(request).writer,
        current_identity(request),
        task_id=request.path_params["task_id"],
        change=TaskChange(**body.model_dump()),
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
    """The transcript, oldest first: all of it, or with `limit` the newest turns before
    `before` (a task id), with a `Link: rel="prev"` to the page before when there is one."""
    session_id = request.path_params["session_id"]
    query = query_params(request, TranscriptQuery)
    identity = current_identity(request)
    if identity.is_key:
        identity.require("transcripts:write")
    if query.limit is None and query.before is not None:
        raise invalid_query("limit", "Send a limit with before.")

    def read(conn: Connection) -> tuple[list[TaskView], bool, dict[str, FeedbackView]]:
        owned_session(conn, identity, session_id)
        if query.limit is None:
            tasks, has_earlier = list_tasks(conn, session_id=session_id), False
        else:
            anchor = None
            if query.before is not None:
                anchor = get_task(conn, query.before)
                if anchor is None or anchor.session_id != session_id:
                    raise task_not_found(query.before)
            tasks, has_earlier = task_window(
                conn, session_id=session_id, limit=query.limit, before=anchor
            )
        return tasks, has_earlier, shown_on_tasks(conn, (task.id for task in tasks))

    tasks, has_earlier, shown = await services(request).db.read(read)
    headers = {}
    if has_earlier and tasks:
        earlier = request.url.include_query_params(limit=query.limit, before=tasks[0].id)
        headers["Link"] = f'<{earlier}>; rel="prev"'
    body = []
    for task in tasks:
        given = shown.get(task.id)
        body.append(task.to_json(given.provided_state() if given is not None else None))
    return JSONResponse(body, headers=headers)
