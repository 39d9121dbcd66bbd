"""Feedback that arrives before its task: stored against the trace, attached once the task
is completed.

VoltAgent's Agent asks for a feedback link (and its evals may send feedback) with the run's
fresh trace id, before the host has had any chance to push the task. Such feedback is kept
against the trace: no session, no user yet, listed only to `feedback:read:all` callers with
`target: {kind: "trace"}`. This stager runs inside the unit that changes the task:

- when a task with that `trace_id` is created, the links waiting for the trace bind to it
  (they are answered later; an answer is then judged like any other, so a link for a task
  still running is refused with 409 `task_not_completed`);
- when the task is completed (created completed, or finished `completed` later by the push
  API or a Trodo run), the waiting feedback moves onto it and it shows as provided in the
  task's metadata, the widget and over SSE.

Feedback is accepted only on completed tasks, through every door; feedback given early must
not show as given on a reply still being written. If the task fails or is cancelled, the
feedback stays on the trace for good: it was about a run that produced no answer to rate, so
it is kept (listed to operators with its trace) but never shown on the failed turn.
"""

from __future__ import annotations

import logging

from app.bus import DomainEvent
from app.db.writer import Transaction
from app.feedback.store import links, rows
from app.transcripts.events import TaskCreated, TaskFinished
from app.transcripts.model import TaskView

log = logging.getLogger(__name__)


def attach_waiting_feedback(tx: Transaction, event: DomainEvent) -> None:
    if not isinstance(event, TaskCreated | TaskFinished) or event.task.trace_id is None:
        return
    if isinstance(event, TaskCreated):
        links.bind_waiting_links(tx, event.task.trace_id, event.task.id)
    if event.task.status == "completed":
        _attach(tx, event.task, event.task.trace_id)


def _attach(tx: Transaction, task: TaskView, trace_id: str) -> None:
    answered_through_links = links.answers_for_trace(tx.conn, trace_id)
    for waiting in rows.waiting_for_trace(tx.conn, trace_id):
        marks = waiting.rating is not None or waiting.id in answered_through_links
        if not rows.attach_to_task(tx, waiting, task, marks=marks):
            log.warning(
                "feedback %s for trace %s stays on the trace: task %s already holds "
                "feedback it cannot take twice",
                waiting.id,
                trace_id,
                task.id,
            )
