"""The widget's Like/Dislike and SAM's `POST /feedback`: a thumbs rating of one of the
caller's own completed tasks, with reasons chosen from those offered."""

from __future__ import annotations

from app.config.feedback import FeedbackReasonSettings
from app.feedback.model import NewFeedback, Rating
from app.feedback.rules import THUMBS, check_reasons
from app.identity import Identity
from app.transcripts.access import task_not_found


def thumbs(
    identity: Identity,
    *,
    task_id: str,
    session_id: str,
    rating: Rating,
    comment: str | None,
    on_behalf_of: str | None,
    via: str,
    reasons: list[str] | None = None,
    offered: FeedbackReasonSettings | None = None,
) -> NewFeedback:
    """A thumbs rating of a task in the session the caller names, in the caller's own name
    (an API key names the end user), with reasons chosen from those `offered` for it."""
    user_id = identity.acting_user(on_behalf_of, "feedback:write")
    identity.check_session(session_id)
    chosen = check_reasons(reasons, rating, offered.for_rating(rating) if offered else ())
    return NewFeedback(
        via=via,
        source=identity.source,
        key=THUMBS.name,
        task_ref=task_id,
        user_id=user_id,
        rating=rating,
        comment=comment,
        owner=user_id,
        in_session=session_id,
        unknown_target=task_not_found,
        reasons=chosen,
    )
