"""The key registry: each feedback key has a type, and every value is judged against it.

After VoltAgent's registry: a key used for the first time with a config is created with it;
once a key exists, its stored config wins. Keys in `feedback_keys:` and the built-in ones are
registered at startup.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.clock import now_ms
from app.db import Database
from app.errors import APIError
from app.models import FeedbackKey
from app.settings_feedback import FeedbackKeySettings

log = logging.getLogger(__name__)

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


def spec_of(row: FeedbackKey) -> FeedbackKeySettings:
    return FeedbackKeySettings.model_validate(
        {**row.config, "name": row.name, "type": row.type, "one_per_target": row.one_per_target}
    )


def _row(spec: FeedbackKeySettings) -> FeedbackKey:
    config = {k: v for k, v in spec.config().items() if k != "type"}
    return FeedbackKey(
        name=spec.name,
        type=spec.type,
        config=config,
        one_per_target=spec.one_per_target,
        created_time=now_ms(),
    )


async def resolve_key(
    session: AsyncSession, name: str, proposed: FeedbackKeySettings | None = None
) -> FeedbackKeySettings:
    """The registered key `name`; created from `proposed` on first use. Stored config wins."""
    row = await session.get(FeedbackKey, name)
    if row is not None:
        return spec_of(row)
    if proposed is None:
        raise APIError(
            400,
            "unknown_feedback_key",
            f"Feedback key '{name}' is not registered; declare it in feedback_keys or send "
            "its config with the first use.",
        )
    # Two first uses may race: the first insert wins and both go on with what is stored.
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    values = _row(proposed)
    await session.execute(
        insert(FeedbackKey)
        .values(
            name=values.name,
            type=values.type,
            config=values.config,
            one_per_target=values.one_per_target,
            created_time=values.created_time,
        )
        .on_conflict_do_nothing(index_elements=["name"])
    )
    stored = await session.get(FeedbackKey, name, populate_existing=True)
    assert stored is not None
    return spec_of(stored)


async def register_keys(db: Database, declared: tuple[FeedbackKeySettings, ...]) -> None:
    """Register the built-in and configured keys that are not stored yet."""
    async with db.write() as session:
        for spec in (*BUILT_IN, *declared):
            row = await session.get(FeedbackKey, spec.name)
            if row is None:
                session.add(_row(spec))
            elif spec in declared and spec_of(row) != spec:
                log.warning(
                    "feedback_keys: key %r differs from its stored config; the stored one "
                    "is used (stored: %s)",
                    spec.name,
                    spec_of(row).config(),
                )
