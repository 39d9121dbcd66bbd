"""Single-use, expiring feedback links for one task (VoltAgent's feedback tokens, and ours).

A link is an unguessable 256-bit secret in a URL; the database keeps only its SHA-256, so a
leaked database holds no usable link. Redeeming claims the link with one conditional UPDATE,
so two browsers racing on the same link store one feedback: the other gets 409.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update

from app.actions import ensure_feedback_enabled
from app.clock import iso_ms, now_ms
from app.errors import APIError, not_found
from app.feedback_intake import Submission, UnknownTarget, announce, store_submission
from app.feedback_keys import resolve_key
from app.models import FeedbackToken
from app.settings_feedback import FeedbackKeySettings, FeedbackTokenSettings
from app.state import Services
from app.store.feedback import find_task
from app.views_model import FeedbackView


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    task_id: str
    key: FeedbackKeySettings
    expires_time: int

    def answer(self, url: str) -> dict[str, Any]:
        """The fields VoltAgent's client requires of a new token, with the link's absolute URL."""
        return {
            "id": self.token,
            "url": url,
            "expires_at": iso_ms(self.expires_time),
            "feedback_config": self.key.config(),
        }


def expiry(
    settings: FeedbackTokenSettings, *, expires_at: Any = None, expires_in_seconds: Any = None
) -> int:
    """When a new link expires: an ISO instant, a lifetime, or the default; never too far out."""
    now = now_ms()
    if expires_at is not None:
        try:
            moment = datetime.fromisoformat(str(expires_at).replace("Z", "+00:00"))
        except ValueError:
            raise APIError(
                400, "invalid_expiry", "expires_at must be an ISO 8601 instant."
            ) from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        lifetime = moment.timestamp() - now / 1000
    elif expires_in_seconds is not None:
        lifetime = expires_in_seconds
    else:
        lifetime = settings.default_ttl_seconds
    if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
        raise APIError(400, "invalid_expiry", "A feedback link must expire in the future.")
    if lifetime > settings.max_ttl_seconds:
        raise APIError(
            400,
            "invalid_expiry",
            f"A feedback link may live at most {settings.max_ttl_seconds} seconds.",
        )
    return now + int(lifetime * 1000)


async def issue(
    services: Services,
    *,
    task_ref: str,
    key: str,
    proposed_key: FeedbackKeySettings | None,
    via: str,
    created_by: str,
    expires_time: int,
    unknown_target: UnknownTarget,
) -> IssuedToken:
    ensure_feedback_enabled(services)
    token = secrets.token_urlsafe(32)
    async with services.writer.transaction() as tx:
        task = await find_task(tx.session, task_ref)
        if task is None:
            raise unknown_target(task_ref)
        spec = await resolve_key(tx.session, key, proposed_key)
        tx.session.add(
            FeedbackToken(
                token_hash=token_hash(token),
                task_id=task.id,
                key=spec.name,
                via=via,
                created_by=created_by,
                created_time=now_ms(),
                expires_time=expires_time,
            )
        )
    return IssuedToken(token, task.id, spec, expires_time)


def _token_not_found() -> APIError:
    return not_found("This feedback link is not valid.", "feedback_link_unknown")


async def describe(services: Services, token: str) -> dict[str, Any]:
    """What a host page needs to draw the link's controls."""
    async with services.db.read() as session:
        row = await session.get(FeedbackToken, token_hash(token))
        if row is None:
            raise _token_not_found()
        spec = await resolve_key(session, row.key)
    return {
        "key": spec.name,
        "feedback_config": spec.config(),
        "task_id": row.task_id,
        "expires_at": iso_ms(row.expires_time),
        "provided": row.used_time is not None,
        "feedback_id": row.feedback_id,
    }


async def redeem(
    services: Services,
    token: str,
    *,
    score: Any = None,
    label: str | None = None,
    rating: str | None = None,
    comment: Any = None,
    source: str = "customer",
) -> FeedbackView:
    """Store the link's one feedback: 404 unknown, 409 already used, 410 expired."""
    ensure_feedback_enabled(services)
    digest, now = token_hash(token), now_ms()
    async with services.writer.transaction() as tx:
        row = await tx.session.get(FeedbackToken, digest)
        if row is None:
            raise _token_not_found()
        if row.used_time is not None:
            raise APIError(
                409, "feedback_link_used", "Feedback was already given through this link."
            )
        if row.expires_time <= now:
            raise APIError(410, "feedback_link_expired", "This feedback link has expired.")
        claimed = await tx.session.execute(
            update(FeedbackToken)
            .where(FeedbackToken.token_hash == digest, FeedbackToken.used_time.is_(None))
            .values(used_time=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise APIError(
                409, "feedback_link_used", "Feedback was already given through this link."
            )
        feedback, task = await store_submission(
            tx.session,
            Submission(
                via=row.via,
                source=source,
                key=row.key,
                task_ref=row.task_id,
                score=score,
                label=label,
                rating=rating,
                comment=comment,
                marks_task=True,
            ),
        )
        row.feedback_id = feedback.id
        row.used_time = now
        event = announce(feedback, task)
        tx.emit(event)
    return event.feedback
