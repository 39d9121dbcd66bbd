"""Settings for the operator console: its sessions, and the reasons the thumbs offer."""

from __future__ import annotations

from pydantic import Field, field_validator

from app.config.base import Frozen
from app.config.web import MIN_SECRET_BYTES

MAX_REASONS = 12
REASON_MAX_CHARS = 40


def _reasons(reasons: tuple[str, ...]) -> tuple[str, ...]:
    cleaned = tuple(reason.strip() for reason in reasons)
    if len(cleaned) > MAX_REASONS:
        raise ValueError(f"at most {MAX_REASONS} reasons (got {len(cleaned)})")
    for reason in cleaned:
        if not reason or len(reason) > REASON_MAX_CHARS:
            raise ValueError(f"each reason must be 1-{REASON_MAX_CHARS} characters ({reason!r})")
        if cleaned.count(reason) > 1:
            raise ValueError(f"reason {reason!r} is listed twice")
    return cleaned


class FeedbackReasonSettings(Frozen):
    up: tuple[str, ...] = Field((), description="Reasons offered with a thumbs-up.")
    down: tuple[str, ...] = Field((), description="Reasons offered with a thumbs-down.")

    _up = field_validator("up")(_reasons)
    _down = field_validator("down")(_reasons)

    def for_rating(self, rating: str | None) -> tuple[str, ...]:
        return self.up if rating == "up" else self.down if rating == "down" else ()


class AdminSettings(Frozen):
    session_hours: float = Field(
        8, gt=0, le=24 * 30, description="How long a console sign-in lasts."
    )
    secret: str | None = Field(
        None,
        description="Signs console session cookies; `auth.secret` when unset. 32 bytes or more.",
    )

    @field_validator("secret")
    @classmethod
    def _long_enough(cls, secret: str | None) -> str | None:
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
        return secret
