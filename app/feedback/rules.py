"""The feedback rules, with no SQL: how a value is judged against its key, and the checks
every door shares (comment, weight, rating).

After VoltAgent's registry: each feedback key has a type (boolean, numeric, continuous,
categorical, freeform), and every value is judged against the key's stored config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

from pydantic import ValidationError

from app.bounds import COMMENT_MAX_CHARS, LABEL_MAX_CHARS
from app.config.feedback import FeedbackKeySettings
from app.errors import APIError, invalid_field
from app.feedback.model import Rating, Score
from app.i18n.catalogs import N_

THUMBS = FeedbackKeySettings(name="thumbs", type="boolean", one_per_target=True)
# The keys the dialects write when the caller names none (see the README's mapping table).
TRODO = FeedbackKeySettings(name="trodo", type="continuous", one_per_target=True)
SENTIMENT = FeedbackKeySettings(name="sentiment", type="numeric", min=-1, max=1)
PORTKEY = FeedbackKeySettings(name="portkey", type="numeric", min=-10, max=10, one_per_target=False)
BUILT_IN = (THUMBS, TRODO, SENTIMENT, PORTKEY)


def invalid_value(key: str, message: str) -> APIError:
    return APIError(
        422,
        "invalid_feedback_value",
        f"Key '{key}': {message}",
        [{"loc": ["body", "value"], "msg": message}],
    )


@dataclass(frozen=True)
class Judged:
    score: float | None
    label: str | None
    rating: str | None


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid_value(key, f"the score must be a number, not {value!r}.")
    return float(value)


def _bounded(spec: FeedbackKeySettings, score: float) -> float:
    low, high = spec.min, spec.max
    if (low is not None and score < low) or (high is not None and score > high):
        span = f"from {_show(low)}" if low is not None else "up"
        span += f" to {_show(high)}" if high is not None else " with no upper bound"
        raise invalid_value(spec.name, f"the score must run {span}; got {_show(score)}.")
    return score


def _show(number: float | None) -> str:
    return str(int(number)) if number is not None and number.is_integer() else str(number)


def judge(
    spec: FeedbackKeySettings,
    *,
    score: Any = None,
    label: str | None = None,
    rating: str | None = None,
    comment: str | None = None,
) -> Judged:
    """The stored value of a submission under `spec`, or a 422 saying what does not fit."""
    name = spec.name
    if score is None and label is None and rating is None and not comment:
        raise invalid_value(name, "send a score, a choice or a comment.")
    if spec.type == "boolean":
        if rating is None and score is not None:
            if score in (True, 1) and not isinstance(score, str):
                rating = "up"
            elif score in (False, 0) and not isinstance(score, str):
                rating = "down"
            else:
                raise invalid_value(name, f"the value must be true/false or 1/0; got {score!r}.")
        if rating not in ("up", "down"):
            raise invalid_value(name, "a boolean key needs a yes/no (up/down) value.")
        return Judged(1.0 if rating == "up" else 0.0, label, rating)
    if spec.type == "freeform":
        if score is not None:
            raise invalid_value(name, "a freeform key takes text only, not a score.")
        return Judged(None, label, rating)
    if spec.type == "categorical":
        for category in spec.categories:
            if (score is not None and not isinstance(score, bool) and score == category.value) or (
                score is None and label is not None and label == category.label
            ):
                return Judged(category.value, category.label, rating)
        choices = ", ".join(f"{_show(c.value)} ({c.label})" for c in spec.categories)
        if score is None and label is None:
            return Judged(None, None, rating)  # a comment alone
        raise invalid_value(
            name, f"choose one of {choices}; got {score if score is not None else label!r}."
        )
    if score is None:
        return Judged(None, label, rating)
    number = _number(name, score)
    if spec.type == "numeric" and not number.is_integer():
        raise invalid_value(name, f"the score must be a whole number; got {score!r}.")
    return Judged(_bounded(spec, number), label, rating)


def spec_from_config(
    name: str, config: Any, *, where: str = "feedback_config"
) -> FeedbackKeySettings:
    """A key from a client's config object (VoltAgent's `feedback_config`), or a clear 400."""
    if not isinstance(config, dict):
        raise APIError(400, "invalid_feedback_config", f"{where} must be an object.")
    try:
        return FeedbackKeySettings.model_validate({"one_per_target": True, **config, "name": name})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "config"
        message = first["msg"].removeprefix("Value error, ")
        raise APIError(400, "invalid_feedback_config", f"{where}.{field}: {message}") from None


def spec_of(
    name: str, type_: str, config: dict[str, Any], one_per_target: bool
) -> FeedbackKeySettings:
    """A stored key's config as settings (the registry row's columns)."""
    return FeedbackKeySettings.model_validate(
        {**config, "name": name, "type": type_, "one_per_target": one_per_target}
    )


def check_comment(comment: str | None) -> str | None:
    """A comment as stored: up to the limit, stripped, None when blank."""
    if comment is None:
        return None
    if len(comment) > COMMENT_MAX_CHARS:
        limit = N_("Comments are limited to %(limit)s characters.")
        raise invalid_field("comment", limit, limit=COMMENT_MAX_CHARS)
    return comment.strip() or None


def check_label(label: str | None) -> str | None:
    if label is not None and len(label) > LABEL_MAX_CHARS:
        raise invalid_field("label", f"Labels are limited to {LABEL_MAX_CHARS} characters.")
    return label


def check_weight(weight: float) -> float:
    if not 0 <= weight <= 1:  # NaN fails this too
        raise invalid_field("weight", f"The weight must be from 0 to 1; got {weight}.")
    return weight


# What a door reads off the wire: the types NewFeedback holds, or a 422 naming the field.


def comment_of(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise invalid_field("comment", "The comment must be text.")


def score_of(value: Any, field: str = "score") -> Score | None:
    """A score as sent: a JSON number, true/false or text, which the key then judges."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise invalid_field(field, f"The {field} must be a number, true/false or text.")


def weight_of(value: Any) -> float:
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid_field("weight", f"The weight must be a number from 0 to 1; got {value!r}.")
    return float(value)


def rating_of(value: Any) -> Rating:
    """The widget's and SAM's rating: up or down."""
    if value not in ("up", "down"):
        raise invalid_field("rating", N_("Choose Like or Dislike."))
    return cast(Rating, value)


def check_reasons(reasons: Any, rating: str | None, offered: tuple[str, ...]) -> tuple[str, ...]:
    """The reasons chosen with a rating, each one offered for that rating (in the order
    offered, once each); 422 naming the first that is not."""
    if reasons is None or reasons == []:
        return ()
    if not isinstance(reasons, list | tuple) or not all(isinstance(r, str) for r in reasons):
        raise invalid_field("reasons", "Reasons must be a list of strings.")
    if rating is None:
        raise invalid_field("reasons", "Reasons go with a Like or Dislike rating.")
    for reason in reasons:
        if reason not in offered:
            choices = ", ".join(repr(choice) for choice in offered) or "none"
            raise invalid_field(
                "reasons",
                f"'{reason}' is not a reason offered for a thumbs-{rating}; "
                f"the reasons are: {choices}.",
            )
    return tuple(choice for choice in offered if choice in reasons)


# VoltAgent's `feedback_source_type`: an app's end user, or a model judging a reply.
SOURCE_TYPES = {"app": "customer", "model": "model"}
