"""Feedback stored or changed, raised by the store on a transaction and published only after
commit."""

from __future__ import annotations

from dataclasses import dataclass

from app.feedback.model import FeedbackView, ReviewEntry
from app.transcripts.model import TaskView


@dataclass(frozen=True)
class FeedbackSubmitted:
    """Feedback was stored or changed; `task` is None for conversation-level feedback."""

    feedback: FeedbackView
    task: TaskView | None
    # False: a feedback stored before changed (revised, or moved onto its trace's task).
    new: bool = True


@dataclass(frozen=True)
class FeedbackReviewed:
    """A reviewer acted on a feedback in the review queue; `feedback` is its state after."""

    feedback: FeedbackView
    task: TaskView | None
    entry: ReviewEntry
