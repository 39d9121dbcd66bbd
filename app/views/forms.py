"""Form posts from the widget. htmx gets partials back; plain forms get a redirect."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.feedback.service import submit, thumbs
from app.transcripts import service
from app.views.pages import widget_url
from app.web.credentials import end_user
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
    svc = services(request)
    session_id = request.path_params["session_id"]
    form = await request.form()
    task, history = await service.start_turn(
        svc.writer,
        end_user(request),
        session_id=session_id,
        text=_field(form.get("message")) or "",
        agent_id=svc.config.agent.name,
        model=svc.runner.model,
        topic=f"{svc.runner.topic}/request",
    )
    svc.runner.start(task, history)
    if not _is_htmx(request):
        return _back_to_widget(request, session_id, form.get("layout"))
    return HTMLResponse(svc.partials.task(task), headers={"X-Task-Id": task.id})


async def post_feedback(request: Request) -> Response:
    svc = services(request)
    session_id = request.path_params["session_id"]
    form = await request.form()
    submission = thumbs(
        end_user(request),
        task_id=_field(form.get("task_id")) or "",
        session_id=session_id,
        rating=_field(form.get("rating")),
        comment=_field(form.get("comment")),
        on_behalf_of=None,
        via="widget",
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
