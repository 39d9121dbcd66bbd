"""Single-use, expiring feedback links for one task (VoltAgent's feedback tokens, and ours).

A link is an unguessable 256-bit secret in a URL; the database keeps only its SHA-256, so a
leaked database holds no usable link. Answering claims the link with one conditional UPDATE,
so of two browsers racing on the same link one stores its feedback and the other gets 409.
An answer is stored through the same `store_feedback` as every other feedback.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection

from app.clock import iso_ms, now_ms
from app.config import FeedbackAvailability
from app.config.feedback import FeedbackKeySettings, FeedbackTokenSettings
from app.db.engine import Database
from app.db.writer import Transaction, Writer
from app.errors import APIError, bad_request, not_found
from app.feedback.model import FeedbackView, NewFeedback, Rating, Score, UnknownTarget
from app.feedback.rules import SOURCE_TYPES, comment_of, score_of
from app.feedback.service import ensure_feedback_enabled, resolve_key, store_feedback
from app.feedback.store import links as stored_links
from app.transcripts import store as transcripts


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    task_id: str | None  # None while the link waits for its trace's task
    key: FeedbackKeySettings
    expires_time: int
    source: str

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


def _unknown_link() -> APIError:
    return not_found("This feedback link is not valid.", "feedback_link_unknown")


def _used() -> APIError:
    return APIError(409, "feedback_link_used", "Feedback was already given through this link.")


async def issue_link(
    writer: Writer,
    availability: FeedbackAvailability,
    *,
    task_ref: str,
    key: str,
    proposed_key: FeedbackKeySettings | None,
    via: str,
    source: str,
    created_by: str,
    expires_time: int,
    unknown_target: UnknownTarget,
    wait_for_trace: bool = False,
) -> IssuedToken:
    """A link for a task (by id or trace id). With `wait_for_trace`, a reference that matches
    no task yet is a trace: the link waits for it, and binds to its task once pushed."""
    ensure_feedback_enabled(availability)
    token = new_secret()

    def unit(tx: Transaction) -> IssuedToken:
        task = transcripts.find_task(tx.conn, task_ref)
        if task is None and not wait_for_trace:
            raise unknown_target(task_ref)
        spec = resolve_key(tx.conn, key, proposed_key)
        stored_links.add_link(
            tx,
            token_hash=token_hash(token),
            task_id=task.id if task else None,
            trace_id=task.trace_id if task else task_ref,
            key=spec.name,
            via=via,
            source=source,
            created_by=created_by,
            expires_time=expires_time,
        )
        return IssuedToken(token, task.id if task else None, spec, expires_time, source)

    return await writer.run(unit)


async def describe_link(db: Database, token: str) -> dict[str, Any]:
    """What a host page needs to draw the link's controls."""

    def read(conn: Connection) -> dict[str, Any]:
        link = stored_links.get_link(conn, token_hash(token))
        if link is None:
            raise _unknown_link()
        spec = resolve_key(conn, link.key)
        return {
            "key": spec.name,
            "feedback_config": spec.config(),
            "task_id": link.task_id,
            "trace_id": link.trace_id,
            "source": link.source,
            "expires_at": iso_ms(link.expires_time),
            "provided": link.used_time is not None,
            "feedback_id": link.feedback_id,
        }

    return await db.read(read)


@dataclass(frozen=True)
class LinkAnswer:
    """A link answer's body, read: the values it gives (the link decides everything else)."""

    score: Score | None = None
    label: str | None = None
    rating: Rating | None = None
    comment: str | None = None
    # What the answer says it is (VoltAgent's `feedback_source_type`); the link decides.
    claimed_source: str | None = None


def source_fixed_by_link(source: str) -> APIError:
    kind = "app (customer)" if source == "customer" else source
    message = (
        f"This link records {kind} feedback; an answer cannot change that. Ask for a link of "
        "the other kind when it is created."
    )
    return APIError(
        400,
        "source_fixed_by_link",
        message,
        [{"loc": ["body", "feedback_source_type"], "msg": message}],
    )


async def redeem_link(
    writer: Writer, availability: FeedbackAvailability, token: str, answer: LinkAnswer
) -> FeedbackView:
    """Store the link's one feedback: 404 unknown, 409 already used, 410 expired, and 400 when
    the answer claims another source than the link's. Answers a link for a trace whose task has
    not arrived are stored against the trace, and attached when it does."""
    ensure_feedback_enabled(availability)
    digest, now = token_hash(token), now_ms()

    def unit(tx: Transaction) -> FeedbackView:
        link = stored_links.get_link(tx.conn, digest)
        if link is None:
            raise _unknown_link()
        if answer.claimed_source is not None and answer.claimed_source != link.source:
            raise source_fixed_by_link(link.source)
        if link.used_time is not None:
            raise _used()
        if link.expires_time <= now:
            raise APIError(410, "feedback_link_expired", "This feedback link has expired.")
        if not stored_links.claim_link(tx, digest, now=now):
            raise _used()
        stored = store_feedback(
            tx,
            NewFeedback(
                via=link.via,
                source=link.source,
                key=link.key,
                task_ref=link.task_id or link.trace_id,
                wait_for_trace=link.task_id is None,
                score=answer.score,
                label=answer.label,
                rating=answer.rating,
                comment=answer.comment,
                marks_task=True,
            ),
        )
        stored_links.link_answered(tx, digest, stored.feedback.id)
        return stored.feedback

    return await writer.run(unit)


def read_answer(body: Any) -> LinkAnswer:
    """A link answer's JSON body, checked."""
    if not isinstance(body, dict):
        raise bad_request("The body must be a JSON object.")
    rating = body.get("rating")
    if rating is not None and rating not in ("up", "down"):
        raise bad_request("rating must be 'up' or 'down'.", "rating")
    rating = cast(Rating | None, rating)
    kind = body.get("feedback_source_type")
    if kind is not None and (not isinstance(kind, str) or kind not in SOURCE_TYPES):
        raise bad_request("feedback_source_type must be 'app' or 'model'.", "feedback_source_type")
    label = body.get("label")
    return LinkAnswer(
        score=score_of(body.get("score")),
        label=label if isinstance(label, str) else None,
        rating=rating,
        comment=comment_of(body.get("comment")),
        claimed_source=SOURCE_TYPES[kind] if kind is not None else None,
    )


def answer_json(stored: FeedbackView) -> dict[str, Any]:
    return {"id": stored.id, "key": stored.key, "score": stored.score, "comment": stored.comment}
