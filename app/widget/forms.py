"""Form posts from the widget.

What a post changes reaches every open page of the chat, the poster's included, over the chat's
event stream only: the partial it swaps in replaces itself. So an htmx post answers `204` with
at most an `HX-Trigger` event for the poster's own page (reset the composer, close the dialog),
and a plain form post (no JavaScript) a `303` back to the page, which renders the new state.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.feedback.rules import rating_of
from app.feedback.service import submit
from app.feedback.thumbs import thumbs
from app.transcripts import turns
from app.transcripts.model import TaskView
from app.web.credentials import end_user
from app.web.languages import asked_lang
from app.web.parsing import read_form
from app.web.state import services
from app.widget.urls import chat_page, widget_url

# The events an htmx answer names (HX-Trigger); widget.js acts on them in the poster's page.
SENT = "feedback-widget:sent"
SUBMITTED = "feedback-widget:submitted"


def _done(
    request: Request, session_id: str, layout: object, event: dict[str, Any] | None = None
) -> Response:
    """The answer to a post that worked: the change itself arrives over the event stream."""
    if request.headers.get("hx-request") != "true":
        url = widget_url(
            chat_page(layout, session_id), end_user(request).token, asked_lang(request)
        )
        return RedirectResponse(url, status_code=303)
    headers = {"HX-Trigger": json.dumps(event)} if event else None
    return Response(status_code=204, headers=headers)


def _field(value: object) -> str | None:
    return value if isinstance(value, str) else None


async def post_message(request: Request) -> Response:
    session_id = request.path_params["session_id"]
    form = await read_form(request)
    return await _start(request, session_id, _field(form.get("message")) or "", form.get("layout"))


async def _start(
    request: Request,
    session_id: str,
    text: str,
    layout: object,
    retry_of: TaskView | None = None,
) -> Response:
    """A new turn the agent answers: the message sent, or an earlier one sent again."""
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
        retry_of=retry_of,
    )
    svc.runner.start(task, history)
    return _done(request, session_id, layout, {SENT: {"taskId": task.id}})


async def retry_turn(request: Request) -> Response:
    """Send a finished turn's message again, as a new turn that records the one it retries
    (both answers stay in the chat, each rated on its own)."""
    svc = services(request)
    session_id, task_id = request.path_params["session_id"], request.path_params["task_id"]
    form = await read_form(request)
    earlier = await svc.db.read(
        lambda conn: turns.turn_in_chat(conn, end_user(request), session_id, task_id)
    )
    text = turns.retry_text(earlier)
    return await _start(request, session_id, text, form.get("layout"), retry_of=earlier)


async def stop_turn(request: Request) -> Response:
    """Stop a streaming reply: the agent's request is cancelled and the turn ends
    `cancelled` with the text so far."""
    svc = services(request)
    identity = end_user(request)
    session_id, task_id = request.path_params["session_id"], request.path_params["task_id"]
    form = await read_form(request)
    task = await svc.db.read(lambda conn: turns.turn_in_chat(conn, identity, session_id, task_id))
    turns.check_stoppable(task)
    # A job in this process ends itself, keeping its last text; otherwise record the stop.
    await svc.runner.stop(task_id)
    await turns.stop_turn(
        svc.writer,
        identity,
        session_id=session_id,
        task_id=task_id,
        topic=f"{svc.runner.topic}/response",
    )
    return _done(request, session_id, form.get("layout"))


async def post_feedback(request: Request) -> Response:
    svc = services(request)
    session_id = request.path_params["session_id"]
    form = await read_form(request)
    new = thumbs(
        end_user(request),
        task_id=_field(form.get("task_id")) or "",
        session_id=session_id,
        rating=rating_of(form.get("rating")),
        comment=_field(form.get("comment")),
        on_behalf_of=None,
        via="widget",
        reasons=[value for value in form.getlist("reasons") if isinstance(value, str)],
        offered=svc.config.feedback_reasons,
    )
    (stored,) = await submit(svc.writer, svc.feedback, new)
    rated = {"taskId": stored.feedback.task_id, "rating": stored.feedback.rating}
    return _done(request, session_id, form.get("layout"), {SUBMITTED: rated})
