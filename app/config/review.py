"""Settings for the console's review queue: which feedback needs a look, and the labels a
reviewer may attach."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from app.bounds import REVIEW_LABEL_MAX_CHARS
from app.config.base import Frozen

DEFAULT_LABELS = ("hallucination", "wrong tool", "tone", "outdated")


class ReviewSettings(Frozen):
    labels: tuple[str, ...] = Field(
        DEFAULT_LABELS,
        description="The labels a reviewer may attach to an item, in the order offered "
        "(keys 1-9 toggle the first nine).",
    )
    ratings: tuple[Literal["up", "down"], ...] = Field(
        ("down",), description="Feedback with one of these ratings enters the queue."
    )
    comments: bool = Field(True, description="Feedback with a comment enters the queue too.")
    sources: tuple[Literal["customer", "platform", "model"], ...] = Field(
        ("customer",),
        description="Only feedback from these sources enters (`customer`: end users).",
    )

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for label in labels:
            if not label.strip() or len(label) > REVIEW_LABEL_MAX_CHARS:
                raise ValueError(f"each label is 1 to {REVIEW_LABEL_MAX_CHARS} characters")
            if label in seen:
                raise ValueError(f"label {label!r} is listed more than once")
            seen.add(label)
        return labels
