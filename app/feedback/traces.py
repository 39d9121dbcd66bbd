"""Feedback that arrives before its task: stored against the trace, attached on arrival.

VoltAgent's Agent asks for a feedback link (and its evals may send feedback) with the run's
fresh trace id, before the host has had any chance to push the task. Such feedback is kept
against the trace: no session, no user yet, listed only to `feedback:read:all` callers with
`target: {kind: "trace"}`. When a task with that `trace_id` is created, this stager, running
inside the same transaction, binds the waiting links to it and moves the waiting feedback
onto it, which then shows as provided in the task's metadata, the widget and over SSE.
"""

from __future__ import annotations

import logging

from app.events.domain import DomainEvent, TaskCreated
from app.events.transaction import Transaction
from app.feedback.store import links, rows
from app.transcripts.store import get_task

log = logging.getLogger(__name__)


def attach_waiting_feedback(tx: Transaction, event: DomainEvent) -> None:
    if not isinstance(event, TaskCreated) or event.task.trace_id is None:
        return
    task, trace_id = event.task, event.task.trace_id
    answered_through_links = links.attach_links(tx, trace_id, task.id)
    for waiting in rows.waiting_for_trace(tx.conn, trace_id):
        marks = waiting.rating is not None or waiting.id in answered_through_links
        if rows.attach_to_task(tx, waiting, task, marks=marks):
            # The task now carries the first one's state; later ones do not mark it again.
            task = get_task(tx.conn, task.id) or task
        else:
            log.warning(
                "feedback %s for trace %s stays on the trace: task %s already holds "
                "feedback it cannot take twice",
                waiting.id,
                trace_id,
                task.id,
            )
