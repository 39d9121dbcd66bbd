"""The route table, one surface per mount, with the rules of each declared beside its routes.

- `/api`: the JSON API. Errors are JSON; every request counts against the API budget.
- `/compat`: the feedback SDK dialects (`app/compat/routes.py`).
- `/static`: files.
- everything else: the HTML widget. Errors are pages; state-changing requests must come
  from our own origin or an allowed embedding origin.

Every mount (and each route outside one) judges its path and query string by the boundary
rule first (`CleanInput`, `app/boundary.py`): nothing that cannot be stored reaches a handler.

A route that spends a budget of its own (feedback, chat messages, new chats) says so on the
route, and so does an event stream, which holds one of its user's and address's stream slots.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app import link_answers
from app.api import datasets, feedback, link_tokens, reviews, transcripts
from app.api.health import health
from app.api.me import me
from app.api.openapi import openapi_json
from app.api.scrape import MetricsEndpoint
from app.compat.routes import compat_mount
from app.config import AppConfig
from app.console import pages as console
from app.console import triage
from app.console.session import RequireOperator, stream_holder
from app.resources import static_dir
from app.web.assets import StaticCaching
from app.web.middleware.boundary import CleanInput
from app.web.middleware.header_credentials import HeaderCredentialsOnly
from app.web.middleware.origin import OriginCheck
from app.web.middleware.rules import PUBLIC, holds_stream, spends
from app.web.middleware.security import PrivatePages
from app.web.middleware.surface import Surface
from app.widget import events, forms, pages


def api_routes() -> list[BaseRoute]:
    return [
        Route("/config", feedback.get_config),
        Route("/health", health),
        Route("/me", me),
        Route(
            "/feedback", feedback.submit_feedback, methods=["POST"], middleware=[spends("feedback")]
        ),
        Route("/feedback", feedback.list_feedback, methods=["GET"]),
        Route("/feedback/summary", feedback.feedback_summary),
        Route("/feedback/export", feedback.export_feedback),
        Route("/feedback/{feedback_id}/review", reviews.review_feedback, methods=["POST"]),
        Route("/datasets/sft.jsonl", datasets.sft_dataset),
        Route("/datasets/preferences.jsonl", datasets.preferences_dataset),
        Route("/feedback/tokens", link_tokens.create_link, methods=["POST"]),
        Route(
            "/feedback/ingest/{token}",
            link_answers.ingest,
            methods=["POST", "OPTIONS"],
            middleware=[PUBLIC, spends("feedback")],
        ),
        Route(
            "/feedback/ingest/{token}",
            link_answers.link_state,
            methods=["GET"],
            middleware=[PUBLIC],
        ),
        Route(
            "/sessions",
            transcripts.create_session,
            methods=["POST"],
            middleware=[spends("chats")],
        ),
        Route("/sessions/{session_id}/tasks", transcripts.create_task, methods=["POST"]),
        Route("/sessions/{session_id}/tasks", transcripts.list_session_tasks, methods=["GET"]),
        Route("/tasks/{task_id}", transcripts.update_task, methods=["PATCH"]),
        Route("/tasks/{task_id}/events", transcripts.add_task_event, methods=["POST"]),
    ]


def page_routes() -> list[BaseRoute]:
    chat = "/chat/{session_id}"
    return [
        Route("/", pages.index, name="index"),
        Route(
            "/chat", pages.new_chat, methods=["POST"], name="new_chat", middleware=[spends("chats")]
        ),
        Route(chat, pages.chat, name="chat"),
        Route("/embed/{session_id}", pages.embed, name="embed"),
        Route(
            f"{chat}/messages",
            forms.post_message,
            methods=["POST"],
            middleware=[spends("messages")],
        ),
        Route(
            f"{chat}/feedback",
            forms.post_feedback,
            methods=["POST"],
            middleware=[spends("feedback")],
        ),
        Route(f"{chat}/tasks/{{task_id}}/stop", forms.stop_turn, methods=["POST"]),
        Route(
            f"{chat}/tasks/{{task_id}}/retry",
            forms.retry_turn,
            methods=["POST"],
            middleware=[spends("messages")],
        ),
        Route(f"{chat}/events", events.session_events, name="events", middleware=[holds_stream()]),
        Route(f"{chat}/earlier", pages.earlier_turns),
        Route("/demo/host", pages.demo_host),
    ]


def console_rules() -> list[Middleware]:
    """Every console route: HTML errors, clean input, same-origin posts only, never framed or
    cached."""
    return [
        Middleware(Surface, name="html"),
        Middleware(CleanInput),
        Middleware(OriginCheck, allowed_origins=()),
        Middleware(PrivatePages),
    ]


def console_routes() -> list[BaseRoute]:
    """Under /admin. The sign-in form is open; everything else needs an operator."""
    signed_in = [Middleware(RequireOperator)]
    return [
        Route("/login", console.login_form, methods=["GET"]),
        Route("/login", console.login, methods=["POST"], middleware=[spends("login")]),
        Route("/logout", console.logout, methods=["POST"]),
        Mount(
            "",
            routes=[
                Route("/feed", console.feed_page),
                Route("/live", console.live),
                Route("/events", console.events, middleware=[holds_stream(stream_holder)]),
                Route("/export", console.export_view),
                Route("/datasets/{kind}.jsonl", console.dataset_view),
                Route("/chats/{session_id}", console.chat),
                Route("/review", triage.show_queue),
                Route("/review/live", triage.live),
                Route("/review/preview", triage.preview, methods=["POST"]),
                Route("/review/{feedback_id}", triage.act, methods=["POST"]),
            ],
            middleware=signed_in,
        ),
    ]


def routes(config: AppConfig) -> list[BaseRoute]:
    return [
        # The dashboard is /admin itself, not /admin/ (a Mount matches only below its path).
        Route(
            "/admin",
            console.show_dashboard,
            middleware=[*console_rules(), Middleware(RequireOperator)],
        ),
        Mount("/admin", routes=console_routes(), middleware=console_rules()),
        Mount(
            "/api",
            routes=[Mount("/v1", routes=api_routes())],
            middleware=[
                Middleware(Surface, name="api"),
                Middleware(CleanInput),
                Middleware(HeaderCredentialsOnly),
                spends("api"),
            ],
        ),
        compat_mount(),
        # Always routed, for every method: off, it answers 404 in the API's shape, like any
        # unknown API URL.
        Route(
            "/metrics",
            MetricsEndpoint(),
            middleware=[
                Middleware(Surface, name="api"),
                Middleware(CleanInput),
                Middleware(HeaderCredentialsOnly),
            ],
        ),
        Route("/openapi.json", openapi_json, middleware=[Middleware(CleanInput)]),
        Route(
            "/static/code.css",
            pages.code_css,
            middleware=[Middleware(CleanInput), Middleware(StaticCaching)],
        ),
        Mount(
            "/static",
            StaticFiles(directory=static_dir()),
            name="static",
            middleware=[Middleware(CleanInput), Middleware(StaticCaching)],
        ),
        Mount(
            "",
            routes=page_routes(),
            middleware=[
                Middleware(Surface, name="html"),
                Middleware(CleanInput),
                Middleware(OriginCheck, allowed_origins=config.embed.allowed_origins),
            ],
        ),
    ]
