"""Feedback from any door (the SDK dialects, feedback links) into the one feedback model.

Each dialect turns its wire format into a `Submission`; from here on the rules are shared:
the key registry judges the value, the target must exist (and a task must be completed),
one-per-target keys and one reaction per task are held by the database, and the events go
out after commit like every other write.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.actions import ensure_feedback_enabled
from app.errors import APIError, not_found, validation_failed
from app.events import FeedbackSubmitted
from app.feedback_keys import judge, resolve_key
from app.models import COMMENT_MAX_CHARS, ChatSession, Feedback, Task
from app.settings_feedback import FeedbackKeySettings
from app.state import Services
from app.store import feedback as feedback_store
from app.views_model import FeedbackView, TaskView

# Portkey's specially indexed metadata fields and the columns they fill.
SPECIAL_METADATA = {
    "_organisation": "organisation",
    "_prompt": "prompt",
    "_environment": "environment",
}
UnknownTarget = Callable[[str], APIError]


def unknown_task(reference: str) -> APIError:
    return not_found(
        f"No task has the ID or trace ID '{reference}'. Push the task (with its trace_id) "
        "before sending feedback on it.",
        "unknown_target",
    )


def unknown_session(reference: str) -> APIError:
    return not_found(f"Session with ID '{reference}' not found.", "unknown_target")


@dataclass(frozen=True)
class Submission:
    via: str
    source: str
    key: str
    task_ref: str | None = None  # a task id or trace id; else `session_ref` is the target
    session_ref: str | None = None
    proposed_key: FeedbackKeySettings | None = None  # registers `key` on its first use
    user_id: str | None = None  # the end user named by the caller; else the target's owner
    score: Any = None
    label: str | None = None
    rating: str | None = None
    comment: str | None = None
    weight: Any = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)
    event_time: int | None = None
    feedback_id: str | None = None
    marks_task: bool = False


def check_comment(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise _invalid("comment", "The comment must be text.")
    if len(comment) > COMMENT_MAX_CHARS:
        raise _invalid("comment", f"Comments are limited to {COMMENT_MAX_CHARS} characters.")
    return comment.strip() or None


def check_weight(weight: Any) -> float:
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
        raise _invalid("weight", f"The weight must be a number from 0 to 1; got {weight!r}.")
    if not 0 <= weight <= 1:
        raise _invalid("weight", f"The weight must be from 0 to 1; got {weight}.")
    return float(weight)


def _invalid(name: str, message: str) -> APIError:
    return validation_failed([{"loc": ["body", name], "msg": message}], message)


def _special(metadata: dict[str, Any], name: str) -> str | None:
    value = metadata.get(name)
    return str(value)[:255] if isinstance(value, str | int | float) and value != "" else None


async def store_submission(
    session: AsyncSession,
    submission: Submission,
    *,
    unknown_target: UnknownTarget = unknown_task,
) -> tuple[Feedback, Task | None]:
    """Judge and store one submission inside the caller's transaction."""
    comment = check_comment(submission.comment)
    weight = check_weight(submission.weight)
    spec = await resolve_key(session, submission.key, submission.proposed_key)
    judged = judge(
        spec,
        score=submission.score,
        label=submission.label,
        rating=submission.rating,
        comment=comment,
    )
    task: Task | None = None
    if submission.task_ref is not None:
        task = await feedback_store.find_task(session, submission.task_ref)
        if task is None:
            raise unknown_target(submission.task_ref)
        feedback_store.require_completed(task)
        session_id, owner = task.session_id, task.user_id
    else:
        reference = submission.session_ref or ""
        chat = await session.get(ChatSession, reference)
        if chat is None:
            raise unknown_target(reference)
        session_id, owner = chat.id, chat.user_id
    metadata = submission.metadata
    row = await feedback_store.add_feedback(
        session,
        feedback_store.NewFeedback(
            key=spec.name,
            exclusive=spec.one_per_target,
            user_id=submission.user_id or _special(metadata, "_user") or owner,
            session_id=session_id,
            task=task,
            score=judged.score,
            label=judged.label,
            rating=judged.rating,
            comment=comment,
            weight=weight,
            source=submission.source,
            via=submission.via,
            metadata=metadata,
            event_time=submission.event_time,
            feedback_id=submission.feedback_id,
            marks_task=submission.marks_task,
            **{column: _special(metadata, name) for name, column in SPECIAL_METADATA.items()},
        ),
    )
    return row, task


def announce(row: Feedback, task: Task | None) -> FeedbackSubmitted:
    return FeedbackSubmitted(FeedbackView.of(row), TaskView.of(task) if task else None)


async def submit(
    services: Services, submission: Submission, *, unknown_target: UnknownTarget = unknown_task
) -> FeedbackView:
    """Store one submission in its own transaction and publish it after commit."""
    ensure_feedback_enabled(services)
    async with services.writer.transaction() as tx:
        row, task = await store_submission(tx.session, submission, unknown_target=unknown_target)
        event = announce(row, task)
        tx.emit(event)
    return event.feedback


async def revise(
    services: Services,
    *,
    feedback_id: str,
    via: str,
    score: Any = None,
    weight: Any = None,
    metadata: dict[str, Any] | None = None,
) -> FeedbackView:
    """Change the value, weight or metadata of feedback that came through dialect `via`."""
    ensure_feedback_enabled(services)
    async with services.writer.transaction() as tx:
        row = await tx.session.get(Feedback, feedback_id)
        if row is None or row.via != via:
            raise not_found(f"Feedback with ID '{feedback_id}' not found.", "feedback_not_found")
        if score is not None:
            spec = await resolve_key(tx.session, row.key)
            judged = judge(spec, score=score)
            row.score, row.label = judged.score, judged.label or row.label
        if weight is not None:
            row.weight = check_weight(weight)
        if metadata is not None:
            row.metadata_ = {**(row.metadata_ or {}), **metadata}
            for name, column in SPECIAL_METADATA.items():
                if name in metadata:
                    setattr(row, column, _special(metadata, name))
        await tx.session.flush()
        task = await tx.session.get(Task, row.task_id) if row.task_id else None
        event = announce(row, task)
        tx.emit(event)
    return event.feedback
