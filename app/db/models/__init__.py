"""SQLAlchemy models, one module per aggregate. The schema itself is owned by the Alembic
migrations; `tests/db/test_migrate.py` fails if the two drift apart."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from app.db.models.base import FINISHED_STATUSES, TASK_STATUSES, Base
from app.db.models.console import ConsoleSession
from app.db.models.feedback import (
    KEY_TYPES,
    Feedback,
    FeedbackKey,
    FeedbackReason,
    FeedbackReview,
    FeedbackReviewLabel,
    FeedbackToken,
)
from app.db.models.operations import AlertState, OutboxEvent, ScheduledJob
from app.db.models.transcripts import ChatSession, Task, TaskEvent

SESSIONS = cast(Table, ChatSession.__table__)
TASKS = cast(Table, Task.__table__)
TASK_EVENTS = cast(Table, TaskEvent.__table__)
FEEDBACK = cast(Table, Feedback.__table__)
FEEDBACK_REASONS = cast(Table, FeedbackReason.__table__)
FEEDBACK_REVIEWS = cast(Table, FeedbackReview.__table__)
FEEDBACK_REVIEW_LABELS = cast(Table, FeedbackReviewLabel.__table__)
FEEDBACK_KEYS = cast(Table, FeedbackKey.__table__)
FEEDBACK_TOKENS = cast(Table, FeedbackToken.__table__)
OUTBOX = cast(Table, OutboxEvent.__table__)
SCHEDULED_JOBS = cast(Table, ScheduledJob.__table__)
CONSOLE_SESSIONS = cast(Table, ConsoleSession.__table__)
ALERT_STATES = cast(Table, AlertState.__table__)

__all__ = [
    "ALERT_STATES",
    "CONSOLE_SESSIONS",
    "FEEDBACK",
    "FEEDBACK_KEYS",
    "FEEDBACK_REASONS",
    "FEEDBACK_REVIEWS",
    "FEEDBACK_REVIEW_LABELS",
    "FEEDBACK_TOKENS",
    "FINISHED_STATUSES",
    "KEY_TYPES",
    "OUTBOX",
    "SCHEDULED_JOBS",
    "SESSIONS",
    "TASKS",
    "TASK_EVENTS",
    "TASK_STATUSES",
    "AlertState",
    "Base",
    "ChatSession",
    "ConsoleSession",
    "Feedback",
    "FeedbackKey",
    "FeedbackReason",
    "FeedbackReview",
    "FeedbackReviewLabel",
    "FeedbackToken",
    "OutboxEvent",
    "ScheduledJob",
    "Task",
    "TaskEvent",
]
