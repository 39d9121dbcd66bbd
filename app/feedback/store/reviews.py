"""SQL for the review queue's writes: one conditional UPDATE per action (the version the
reviewer saw must still be the stored one, so the database decides every race), a history
row, and the labels one row each. Raises FeedbackReviewed on the transaction."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from app.clock import now_ms
from app.db.models import FEEDBACK, FEEDBACK_REVIEW_LABELS, FEEDBACK_REVIEWS
from app.db.writer import Transaction
from app.feedback.events import FeedbackReviewed
from app.feedback.model import FeedbackView, ReviewEntry
from app.transcripts.store import get_task

_GET = select(FEEDBACK).where(FEEDBACK.c.id == bindparam("b_id"))
_APPLY = (
    update(FEEDBACK)
    .where(FEEDBACK.c.id == bindparam("b_id"), FEEDBACK.c.review_version == bindparam("b_seen"))
    .returning(*FEEDBACK.c)
)
_HISTORY = (
    select(FEEDBACK_REVIEWS)
    .where(FEEDBACK_REVIEWS.c.feedback_id == bindparam("b_id"))
    .order_by(FEEDBACK_REVIEWS.c.version)
)
_ADD_ENTRY = insert(FEEDBACK_REVIEWS)
_CLEAR_LABELS = delete(FEEDBACK_REVIEW_LABELS).where(
    FEEDBACK_REVIEW_LABELS.c.feedback_id == bindparam("b_id")
)
_ADD_LABEL = insert(FEEDBACK_REVIEW_LABELS)


def get_review_state(conn: Connection, feedback_id: str) -> FeedbackView | None:
    row = conn.execute(_GET, {"b_id": feedback_id}).mappings().first()
    return FeedbackView.from_row(row) if row else None


def apply_review(
    tx: Transaction,
    seen: FeedbackView,
    *,
    status: str,
    labels: tuple[str, ...],
    correction: str | None,
    note: str | None,
    by: str,
) -> FeedbackView | None:
    """Store the review state an action leaves, if `seen.review_version` is still the stored
    one; None when another action got there first (nothing is written then)."""
    version, moment = seen.review_version + 1, now_ms()
    values = {
        "b_id": seen.id,
        "b_seen": seen.review_version,
        "review_status": status,
        "review_labels": list(labels),
        "correction": correction,
        "review_note": note,
        "review_version": version,
        "reviewed_by": by,
        "reviewed_time": moment,
    }
    row = tx.conn.execute(_APPLY, values).mappings().first()
    if row is None:
        return None
    stored = FeedbackView.from_row(row)
    entry = ReviewEntry(
        version=version,
        status=status,
        labels=labels,
        correction=correction,
        note=note,
        by=by,
        time=moment,
    )
    tx.conn.execute(
        _ADD_ENTRY,
        {
            "feedback_id": seen.id,
            "version": version,
            "status": status,
            "labels": list(labels),
            "correction": correction,
            "note": note,
            "reviewed_by": by,
            "reviewed_time": moment,
        },
    )
    if labels != seen.review_labels:
        tx.conn.execute(_CLEAR_LABELS, {"b_id": seen.id})
        if labels:
            tx.conn.execute(_ADD_LABEL, [{"feedback_id": seen.id, "label": x} for x in labels])
    task = get_task(tx.conn, stored.task_id) if stored.task_id else None
    tx.emit(FeedbackReviewed(stored, task, entry))
    return stored


def review_history(conn: Connection, feedback_id: str) -> list[ReviewEntry]:
    """Every action on a feedback, oldest first."""
    return [
        ReviewEntry(
            version=row["version"],
            status=row["status"],
            labels=tuple(row["labels"] or ()),
            correction=row["correction"],
            note=row["note"],
            by=row["reviewed_by"],
            time=row["reviewed_time"],
        )
        for row in conn.execute(_HISTORY, {"b_id": feedback_id}).mappings()
    ]
