"""The review queue's one write: a reviewer's action on a feedback (mark reviewed, dismiss,
labels, a corrected answer, a note), judged here and stored by `store.reviews`.

Every action names the version it saw. A second reviewer acting on what they saw before the
first one's action gets a conflict carrying the state now stored, never a silent overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from app.bounds import CORRECTION_MAX_CHARS, REVIEW_NOTE_MAX_CHARS
from app.config.review import ReviewSettings
from app.db.writer import Transaction
from app.errors import APIError, invalid_field, not_found
from app.feedback.model import FeedbackView, ReviewEntry
from app.feedback.store import reviews

ReviewStatus = Literal["open", "reviewed", "dismissed"]
REVIEW_STATUSES: tuple[ReviewStatus, ...] = get_args(ReviewStatus)

__all__ = [
    "REVIEW_STATUSES",
    "ReviewChange",
    "ReviewConflict",
    "ReviewEntry",
    "ReviewStatus",
    "review",
]


@dataclass(frozen=True, kw_only=True)
class ReviewChange:
    """One reviewer action. None leaves a part as it is; "" clears a correction or a note."""

    feedback_id: str
    expected_version: int  # the `review_version` the reviewer saw
    by: str  # the operator key's name
    status: ReviewStatus | None = None
    labels: tuple[str, ...] | None = None
    correction: str | None = None
    note: str | None = None


@dataclass
class ReviewConflict(APIError):
    """Someone acted on the item after this reviewer loaded it: `current` is what they left."""

    current: FeedbackView | None = field(default=None, kw_only=True)


def conflict_with(current: FeedbackView) -> ReviewConflict:
    by = current.reviewed_by or "Another reviewer"
    return ReviewConflict(
        409,
        "review_conflict",
        f"{by} changed this feedback's review after you loaded it: it is now "
        f"{current.review_status} at version {current.review_version}. Look at its current "
        "state before acting again.",
        current=current,
    )


def feedback_not_found(feedback_id: str) -> APIError:
    return not_found(f"No feedback has the ID '{feedback_id}'.", "feedback_not_found")


def _judged(change: ReviewChange, settings: ReviewSettings) -> ReviewChange:
    if change.status is not None and change.status not in REVIEW_STATUSES:
        raise invalid_field("status", "Choose open, reviewed or dismissed.")
    if change.labels is not None:
        unknown = [label for label in change.labels if label not in settings.labels]
        if unknown:
            offered = ", ".join(settings.labels) or "none are configured"
            error = invalid_field("labels", f"Unknown label '{unknown[0]}' (offered: {offered}).")
            error.code = "unknown_label"
            raise error
    if change.correction is not None and len(change.correction) > CORRECTION_MAX_CHARS:
        raise invalid_field(
            "correction",
            "Keep the corrected answer to %(limit)s characters.",
            limit=CORRECTION_MAX_CHARS,
        )
    if change.note is not None and len(change.note) > REVIEW_NOTE_MAX_CHARS:
        raise invalid_field(
            "note", "Keep the note to %(limit)s characters.", limit=REVIEW_NOTE_MAX_CHARS
        )
    return change


def review(tx: Transaction, change: ReviewChange, settings: ReviewSettings) -> FeedbackView:
    """Judge and store one review action inside the caller's unit of work; its
    FeedbackReviewed event is published after commit."""
    judged = _judged(change, settings)
    current = reviews.get_review_state(tx.conn, judged.feedback_id)
    if current is None:
        raise feedback_not_found(judged.feedback_id)
    if current.review_version != judged.expected_version:
        raise conflict_with(current)
    stored = reviews.apply_review(
        tx,
        current,
        status=judged.status or current.review_status,
        labels=_labels(judged.labels, current.review_labels, settings),
        correction=_text(judged.correction, current.correction),
        note=_text(judged.note, current.review_note),
        by=judged.by,
    )
    if stored is None:  # another reviewer's action committed between our read and write
        latest = reviews.get_review_state(tx.conn, judged.feedback_id)
        raise conflict_with(latest) if latest else feedback_not_found(judged.feedback_id)
    return stored


def _labels(
    given: tuple[str, ...] | None, current: tuple[str, ...], settings: ReviewSettings
) -> tuple[str, ...]:
    if given is None:
        return current
    # The configured order, once each: the same choice always reads the same.
    return tuple(label for label in settings.labels if label in set(given))


def _text(given: str | None, current: str | None) -> str | None:
    if given is None:
        return current
    return given if given.strip() else None
