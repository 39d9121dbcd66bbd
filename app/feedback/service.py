"""Every feedback, whatever door it comes through, is stored by `store_submission`.

The doors (the widget, SAM's API, feedback links, Trodo, AgentSight, Portkey and VoltAgent)
each turn their wire format into a `Submission`. From here on the rules are shared: the key
registry judges the value, the target must exist (and a task must be completed), the
database holds one-per-target and one-reaction-per-task, and the events go out after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from app.config import FeedbackAvailability
from app.config.feedback import FeedbackKeySettings
from app.errors import APIError, conflict, not_found
from app.events.domain import FeedbackSubmitted
from app.events.snapshots import FeedbackView, TaskView
from app.events.transaction import Transaction, Writer
from app.feedback.rules import (
    BUILT_IN,
    check_comment,
    check_label,
    check_weight,
    judge,
)
from app.feedback.store import registry, rows
from app.transcripts import store as transcripts

log = logging.getLogger(__name__)
PERSISTENCE_REQUIRED = "Session management requires database configuration."
# Portkey's specially indexed metadata fields and the columns they fill.
SPECIAL_METADATA = {
    "_organisation": "organisation",
    "_prompt": "prompt",
    "_environment": "environment",
}
UnknownTarget = Callable[[str], APIError]


def ensure_feedback_enabled(availability: FeedbackAvailability) -> None:
    """SAM's order: no persistence is 501 (checked first), collection turned off is 403."""
    if not availability.persistence_enabled:
        raise APIError(501, "persistence_disabled", PERSISTENCE_REQUIRED)
    if not availability.collect_requested:
        raise APIError(
            403, "feedback_disabled", "Feedback collection is turned off for this application."
        )


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
    comment: Any = None
    weight: Any = 1.0
    metadata: dict[str, Any] = field(default_factory=dict)
    event_time: int | None = None
    feedback_id: str | None = None
    marks_task: bool = False
    # The widget's and SAM's doors name a task of their own in a session of their own.
    owner: str | None = None
    in_session: str | None = None
    unknown_target: UnknownTarget = unknown_task
    # A `task_ref` that matches no task is a trace whose task is still to come: store the
    # feedback against it (VoltAgent's Agent asks before the host could push the task).
    wait_for_trace: bool = False
    reasons: tuple[str, ...] = ()  # checked against the offered reasons by the door


def require_completed(task: TaskView) -> None:
    if task.status != "completed":
        raise conflict(
            f"Task '{task.id}' is {task.status}; feedback is accepted only for completed tasks.",
            "task_not_completed",
        )


def resolve_key(
    conn: Connection, name: str, proposed: FeedbackKeySettings | None = None
) -> FeedbackKeySettings:
    """The registered key `name`; created from `proposed` on first use. Stored config wins."""
    stored = registry.get_key(conn, name)
    if stored is not None:
        return stored
    if proposed is None:
        raise APIError(
            400,
            "unknown_feedback_key",
            f"Feedback key '{name}' is not registered; declare it in feedback_keys or send "
            "its config with the first use.",
        )
    return registry.add_key_if_new(conn, proposed)


def _special(metadata: dict[str, Any], name: str) -> str | None:
    value = metadata.get(name)
    return str(value)[:255] if isinstance(value, str | int | float) and value != "" else None


@dataclass(frozen=True)
class _Target:
    task: TaskView | None = None
    session_id: str | None = None
    owner: str | None = None
    trace_id: str | None = None


def _target(conn: Connection, submission: Submission) -> _Target:
    """What the submission is about: a task, a session, or a trace still waiting for its task."""
    if submission.task_ref is None:
        reference = submission.session_ref or ""
        chat = transcripts.get_session(conn, reference)
        if chat is None:
            raise submission.unknown_target(reference)
        return _Target(session_id=chat.id, owner=chat.user_id)
    task = transcripts.find_task(conn, submission.task_ref)
    if task is None and submission.wait_for_trace:
        return _Target(trace_id=submission.task_ref)
    # Someone else's task, or one outside the session the caller names, answers exactly as
    # an unknown one: a difference would tell a prober that the id exists.
    if (
        task is None
        or (submission.owner is not None and task.user_id != submission.owner)
        or (submission.in_session is not None and task.session_id != submission.in_session)
    ):
        raise submission.unknown_target(submission.task_ref)
    require_completed(task)
    return _Target(task=task, session_id=task.session_id, owner=task.user_id)


def store_submission(tx: Transaction, submission: Submission) -> FeedbackSubmitted:
    """Judge and store one submission inside the caller's unit of work: the one write path."""
    comment = check_comment(submission.comment)
    weight = check_weight(submission.weight)
    spec = resolve_key(tx.conn, submission.key, submission.proposed_key)
    judged = judge(
        spec,
        score=submission.score,
        label=check_label(submission.label),
        rating=submission.rating,
        comment=comment,
    )
    target = _target(tx.conn, submission)
    metadata = submission.metadata
    return rows.add_feedback(
        tx,
        rows.NewFeedback(
            key=spec.name,
            exclusive=spec.one_per_target,
            user_id=submission.user_id or _special(metadata, "_user") or target.owner,
            session_id=target.session_id,
            task=target.task,
            trace_id=target.trace_id,
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
            reasons=submission.reasons,
            **{column: _special(metadata, name) for name, column in SPECIAL_METADATA.items()},
        ),
    )


async def submit(
    writer: Writer, availability: FeedbackAvailability, *submissions: Submission
) -> list[FeedbackSubmitted]:
    """Store submissions in one unit of work, all or nothing, and publish after commit."""
    ensure_feedback_enabled(availability)
    return await writer.run(lambda tx: [store_submission(tx, one) for one in submissions])


async def revise(
    writer: Writer,
    availability: FeedbackAvailability,
    *,
    feedback_id: str,
    via: str,
    score: Any = None,
    weight: Any = None,
    metadata: dict[str, Any] | None = None,
) -> FeedbackView:
    """Change the value, weight or metadata of feedback that came through dialect `via`."""
    ensure_feedback_enabled(availability)

    def unit(tx: Transaction) -> FeedbackView:
        row = rows.get_feedback(tx.conn, feedback_id)
        if row is None or row.via != via:
            raise not_found(f"Feedback with ID '{feedback_id}' not found.", "feedback_not_found")
        values: dict[str, Any] = {}
        if score is not None:
            judged = judge(resolve_key(tx.conn, row.key), score=score)
            values.update(score=judged.score, label=judged.label or row.label)
        if weight is not None:
            values["weight"] = check_weight(weight)
        if metadata is not None:
            values["metadata"] = {**row.metadata, **metadata}
            for name, column in SPECIAL_METADATA.items():
                if name in metadata:
                    values[column] = _special(metadata, name)
        task = transcripts.get_task(tx.conn, row.task_id) if row.task_id else None
        return rows.update_feedback(tx, feedback_id, values, task) if values else row

    return await writer.run(unit)


async def register_keys(writer: Writer, declared: tuple[FeedbackKeySettings, ...]) -> None:
    """Register the built-in and configured keys that are not stored yet. Safe when several
    instances start at once: each insert yields to one already there."""

    def unit(tx: Transaction) -> tuple[Engine, list[FeedbackKeySettings]]:
        registered = []
        for spec in (*BUILT_IN, *declared):
            stored = registry.add_key_if_new(tx.conn, spec)
            registered.append(stored)
            if spec in declared and stored != spec:
                log.warning(
                    "feedback_keys: key %r differs from its stored config; the stored one "
                    "is used (stored: %s)",
                    spec.name,
                    stored.config(),
                )
        return tx.conn.engine, registered

    engine, registered = await writer.run(unit)
    registry.remember_committed(engine, registered)  # committed now
