"""Domain operations shared by the pages and the JSON API: store calls plus their events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.agents import Turn
from app.errors import APIError, not_found, validation_failed
from app.events import FeedbackSubmitted, TaskCreated
from app.identity import Identity
from app.models import COMMENT_MAX_CHARS, ChatSession, Task
from app.state import Services
from app.store import feedback as feedback_store
from app.store import tasks as task_store
from app.views_model import FeedbackView, TaskView

MESSAGE_MAX_CHARS = 20_000
TITLE_MAX_CHARS = 80
PERSISTENCE_REQUIRED = "Session management requires database configuration."


def session_not_found(session_id: str) -> APIError:
    return not_found(f"Session with ID '{session_id}' not found.", "session_not_found")


def task_not_found(task_id: str) -> APIError:
    return not_found(f"Task with ID '{task_id}' not found.", "task_not_found")


def session_not_allowed() -> APIError:
    return APIError(403, "session_not_allowed", "This chat link is for a different chat.")


async def owned_session(db: AsyncSession, identity: Identity, session_id: str) -> ChatSession:
    """The caller's session, or 404: other users' sessions do not exist for them.

    An API key reaches every user's sessions (its scope is checked by the caller); a token
    limited to one session (`sid`) reaches only that one.
    """
    if not identity.may_use_session(session_id):
        raise session_not_allowed()
    row = await db.get(ChatSession, session_id)
    if row is None or (row.user_id != identity.user_id and not identity.is_key):
        raise session_not_found(session_id)
    return row


async def owned_task(db: AsyncSession, identity: Identity, task_id: str) -> Task:
    row = await task_store.get_task(db, task_id=task_id)
    if row is None or (row.user_id != identity.user_id and not identity.is_key):
        raise task_not_found(task_id)
    if not identity.may_use_session(row.session_id):
        raise session_not_allowed()
    return row


def acting_user(identity: Identity, named: str | None, scope: str) -> str:
    """The end user a request acts for. Keys name one (and need `scope`); users are themselves."""
    if identity.is_key:
        identity.require(scope)
        if not named:
            raise _invalid("user_id", "An API key must name the end user (user_id).")
        return named
    if named is not None and named != identity.user_id:
        raise APIError(403, "not_your_user", "You can only act as yourself.")
    return identity.user_id


def _invalid(field: str, message: str) -> APIError:
    return validation_failed([{"loc": ["body", field], "msg": message}], message)


def ensure_feedback_enabled(services: Services) -> None:
    availability = services.feedback
    if not availability.persistence_enabled:
        raise APIError(501, "persistence_disabled", PERSISTENCE_REQUIRED)
    if not availability.collect_requested:
        raise APIError(
            403, "feedback_disabled", "Feedback collection is turned off for this application."
        )


async def send_message(
    services: Services, identity: Identity, *, session_id: str, text: str
) -> TaskView:
    text = text.strip()
    if not text:
        raise _invalid("message", "Type a message before sending.")
    if len(text) > MESSAGE_MAX_CHARS:
        raise _invalid("message", f"Messages are limited to {MESSAGE_MAX_CHARS} characters.")
    async with services.writer.transaction() as tx:
        chat = await owned_session(tx.session, identity, session_id)
        earlier = await task_store.list_tasks(tx.session, session_id=session_id)
        if chat.title is None:
            chat.title = text if len(text) <= TITLE_MAX_CHARS else text[: TITLE_MAX_CHARS - 1] + "…"
        task = await task_store.create_task(
            tx.session,
            chat_session=chat,
            request_text=text,
            agent_id=chat.agent_id or services.settings.app.app_config.agent.name,
            model=services.runner.model,
        )
        await task_store.add_task_event(
            tx.session,
            task_id=task.id,
            direction="request",
            topic=f"agent/{services.settings.app.app_config.agent.name}/request",
            payload={"text": text},
        )
        view = TaskView.of(task)
        tx.emit(TaskCreated(view))
    history = tuple(
        Turn(row.request_text, row.response_text) for row in earlier if row.status == "completed"
    )
    services.runner.start(view, history)
    return view


async def record_feedback(
    services: Services,
    identity: Identity,
    *,
    task_id: str,
    session_id: str,
    rating: str,
    comment: str | None,
    on_behalf_of: str | None = None,
    via: str = "widget",
) -> tuple[FeedbackView, TaskView]:
    ensure_feedback_enabled(services)
    user_id = acting_user(identity, on_behalf_of, "feedback:write")
    if not identity.may_use_session(session_id):
        raise session_not_allowed()
    if rating not in ("up", "down"):
        raise _invalid("rating", "Choose Like or Dislike.")
    if comment is not None and len(comment) > COMMENT_MAX_CHARS:
        raise _invalid("comment", f"Comments are limited to {COMMENT_MAX_CHARS} characters.")
    async with services.writer.transaction() as tx:
        row, task = await feedback_store.submit_thumbs(
            tx.session,
            task_id=task_id,
            session_id=session_id,
            user_id=user_id,
            rating=rating,
            comment=comment.strip() if comment and comment.strip() else None,
            source=identity.source,
            via=via,
        )
        result = FeedbackView.of(row), TaskView.of(task)
        tx.emit(FeedbackSubmitted(*result))
    return result
