"""Every feedback, whatever door it comes through, is stored by `store_feedback`.

The doors (the widget, SAM's API, feedback links, Trodo, AgentSight, Portkey and VoltAgent)
each read their wire format into a `NewFeedback`. From here on the rules are shared and
checked once: the key registry judges the value, the comment and weight meet their bounds,
the target must exist (and a task must be completed), the database holds one-per-target and
one-reaction-per-task, and the events go out after commit.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from app.clock import now_ms
from app.config import FeedbackAvailability
from app.config.feedback import FeedbackKeySettings
from app.db.writer import Transaction, Writer
from app.errors import APIError, conflict, not_found
from app.feedback.events import FeedbackSubmitted
from app.feedback.model import FeedbackView, NewFeedback
from app.feedback.rules import (
    BUILT_IN,
    check_comment,
    check_label,
    check_weight,
    judge,
)
from app.feedback.store import registry, rows
from app.transcripts import store as transcripts
from app.transcripts.model import TaskView

log = logging.getLogger(__name__)
PERSISTENCE_REQUIRED = "Session management requires database configuration."
# Portkey's specially indexed metadata fields and the columns they fill.
SPECIAL_METADATA = {
    "_organisation": "organisation",
    "_prompt": "prompt",
    "_environment": "environment",
}


def ensure_feedback_enabled(availability: FeedbackAvailability) -> None:
    """SAM's order: no persistence is 501 (checked first), collection turned off is 403."""
    if not availability.persistence_enabled:
        raise APIError(501, "persistence_disabled", PERSISTENCE_REQUIRED)
    if not availability.collect_requested:
        raise APIError(
            403, "feedback_disabled", "Feedback collection is turned off for this application."
        )


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
    kind: str  # task, session, or trace (a task still to come)
    id: str
    task: TaskView | None = None
    session_id: str | None = None
    owner: str | None = None


def _target(conn: Connection, new: NewFeedback) -> _Target:
    """What the feedback is about: a task, a session, or a trace still waiting for its task."""
    if new.task_ref is None:
        reference = new.session_ref or ""
        chat = transcripts.get_session(conn, reference)
        if chat is None:
            raise new.unknown_target(reference)
        return _Target("session", chat.id, session_id=chat.id, owner=chat.user_id)
    task = transcripts.find_task(conn, new.task_ref)
    if task is None and new.wait_for_trace:
        return _Target("trace", new.task_ref)
    # Someone else's task, or one outside the session the caller names, answers exactly as
    # an unknown one: a difference would tell a prober that the id exists.
    if (
        task is None
        or (new.owner is not None and task.user_id != new.owner)
        or (new.in_session is not None and task.session_id != new.in_session)
    ):
        raise new.unknown_target(new.task_ref)
    require_completed(task)
    return _Target("task", task.id, task=task, session_id=task.session_id, owner=task.user_id)


def store_feedback(tx: Transaction, new: NewFeedback) -> FeedbackSubmitted:
    """Judge and store one feedback inside the caller's unit of work: the one write path."""
    comment = check_comment(new.comment)
    spec = resolve_key(tx.conn, new.key, new.proposed_key)
    judged = judge(
        spec, score=new.score, label=check_label(new.label), rating=new.rating, comment=comment
    )
    target = _target(tx.conn, new)
    task, metadata = target.task, new.metadata
    feedback = FeedbackView(
        id=new.feedback_id or str(uuid.uuid4()),
        task_id=task.id if task is not None else None,
        session_id=target.session_id,
        target_kind=target.kind,
        target_id=target.id,
        user_id=new.user_id or _special(metadata, "_user") or target.owner,
        agent_id=task.agent_id if task is not None else None,
        key=spec.name,
        exclusive=spec.one_per_target,
        rating=judged.rating,
        score=judged.score,
        label=judged.label,
        comment=comment,
        weight=check_weight(new.weight),
        source=new.source,
        via=new.via,
        organisation=_special(metadata, "_organisation"),
        prompt=_special(metadata, "_prompt"),
        environment=_special(metadata, "_environment"),
        metadata=metadata,
        created_time=now_ms(),
        event_time=new.event_time,
        model=task.model if task is not None else None,
        prompt_version=task.prompt_version if task is not None else None,
        reasons=new.reasons,
        marks_task=judged.rating is not None or new.marks_task,
    )
    return rows.add_feedback(tx, feedback, task)


async def submit(
    writer: Writer, availability: FeedbackAvailability, *feedback: NewFeedback
) -> list[FeedbackSubmitted]:
    """Store feedback in one unit of work, all or nothing, and publish after commit."""
    ensure_feedback_enabled(availability)
    return await writer.run(lambda tx: [store_feedback(tx, new) for new in feedback])


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
