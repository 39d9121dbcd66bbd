"""Form posts from the widget. htmx gets partials back; plain forms get a redirect."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.feedback.service import submit
from app.feedback.thumbs import thumbs
from app.transcripts import turns
from app.views.pages import widget_url
from app.web.credentials import end_user
from app.web.parsing import read_form
from app.web.rendering import css_id
from app.web.state import services


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _back_to_widget(request: Request, session_id: str, layout: object) -> Response:
    url = widget_url(str(layout), session_id, end_user(request).token)
    return RedirectResponse(url, status_code=303)


def _field(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def post_message(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    form = await read_form(request)
    return await _start(request, session_id, _field(form.get("message")) or "", form.get("layout"))


async def _start(request: Request, session_id: str, text: str, layout: object) -> Response:
    """A new turn the agent answers: the message sent, or a failed one sent again."""
    svc = services(request)
    agent = svc.runner.agent
    task, history = await turns.start_turn(
        svc.writer,
        end_user(request),
        session_id=session_id,
        text=text,
        agent_id=svc.config.agent.name,
        agent_type=agent.type,
        model=agent.model,
        history_turns=agent.history_turns,
        topic=f"{svc.runner.topic}/request",
    )
    svc.runner.start(task, history)
    if not _is_htmx(request):
        return _back_to_widget(request, session_id, layout)
    return HTMLResponse(svc.partials.task(task), headers={"X-Task-Id": task.id})


async def retry_turn(request: Request) -> Response:
    """Send a failed or stopped turn's message again, as a new turn."""
    svc = services(request)
    session_id, task_id = request.path_params["session_id"], request.path_params["task_id"]
    form = await read_form(request)
    earlier = await svc.db.read(
        lambda conn: turns.turn_in_chat(conn, end_user(request), session_id, task_id)
    )
    return await _start(request, session_id, turns.retry_text(earlier), form.get("layout"))


async def stop_turn(request: Request) -> Response:
    """Stop a streaming reply: the agent's request is cancelled and the turn ends
    `cancelled` with the text so far. The reply answers, in its stopped state."""
    svc = services(request)
    identity = end_user(request)
    session_id, task_id = request.path_params["session_id"], request.path_params["task_id"]
    form = await read_form(request)
    task = await svc.db.read(lambda conn: turns.turn_in_chat(conn, identity, session_id, task_id))
    turns.check_stoppable(task)
    # A job in this process ends itself, keeping its last text; otherwise record the stop.
    await svc.runner.stop(task_id)
    task = await turns.stop_turn(
        svc.writer,
        identity,
        session_id=session_id,
        task_id=task_id,
        topic=f"{svc.runner.topic}/response",
    )
    if not _is_htmx(request):
        return _back_to_widget(request, session_id, form.get("layout"))
    return HTMLResponse(svc.partials.reply(task))


async def post_feedback(request: Request) -> Response:
    svc = services(request)
    session_id = request.path_params["session_id"]
    form = await read_form(request)
    submission = thumbs(
        end_user(request),
        task_id=_field(form.get("task_id")) or "",
        session_id=session_id,
        rating=_field(form.get("rating")),
        comment=_field(form.get("comment")),
        on_behalf_of=None,
        via="widget",
        reasons=[value for value in form.getlist("reasons") if isinstance(value, str)],
        offered=svc.config.feedback_reasons,
    )
    (stored,) = await submit(svc.writer, svc.feedback, submission)
    if not _is_htmx(request):
        return _back_to_widget(request, session_id, form.get("layout"))
    task = stored.task
    assert task is not None  # thumbs always rate a task
    trigger = {"feedback-widget:submitted": {"taskId": task.id, "rating": stored.feedback.rating}}
    return HTMLResponse(
        svc.partials.feedback_controls(task),
        headers={
            "HX-Retarget": css_id(f"controls-{task.id}"),
            "HX-Reswap": "outerHTML",
            "HX-Trigger-After-Swap": json.dumps(trigger),
        },
    )
