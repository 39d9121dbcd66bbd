"""The widget's Like/Dislike and SAM's `POST /feedback`, as a Submission: a thumbs rating of
one of the caller's own completed tasks, with reasons chosen from those offered."""

from __future__ import annotations

from typing import Any

from app.config.console import FeedbackReasonSettings
from app.feedback.rules import THUMBS, check_rating, check_reasons
from app.feedback.service import Submission
from app.identity import Identity
from app.transcripts.access import task_not_found


def thumbs(
    identity: Identity,
    *,
    task_id: str,
    session_id: str,
    rating: Any,
    comment: Any,
    on_behalf_of: str | None,
    via: str,
    reasons: Any = None,
    offered: FeedbackReasonSettings | None = None,
) -> Submission:
    """The widget's Like/Dislike and SAM's `POST /feedback`: a thumbs rating of one of the
    caller's own completed tasks, in the session the caller names, with reasons chosen from
    those `offered` for the rating."""
    user_id = identity.acting_user(on_behalf_of, "feedback:write")
    identity.check_session(session_id)
    rating = check_rating(rating)
    chosen = check_reasons(reasons, rating, offered.for_rating(rating) if offered else ())
    return Submission(
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
