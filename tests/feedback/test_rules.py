"""The key registry: types, ranges, and the stored config winning over a later one."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from app.config.feedback import FeedbackKeySettings
from app.errors import APIError
from app.feedback.rules import judge, spec_from_config
from tests.support.harness import HarnessFactory

STARS = FeedbackKeySettings(name="stars", type="numeric", min=1, max=5)
ACCURACY = FeedbackKeySettings(name="accuracy", type="continuous", min=0, max=1)
MOOD = FeedbackKeySettings(
    name="mood",
    type="categorical",
    categories=[{"value": 1, "label": "Happy"}, {"value": 0, "label": "Sad"}],  # type: ignore[list-item]
)
NOTE = FeedbackKeySettings(name="note", type="freeform")
THUMBS = FeedbackKeySettings(name="thumbs", type="boolean")


@pytest.mark.parametrize(
    ("spec", "given", "stored"),
    [
        (STARS, {"score": 4}, (4.0, None, None)),
        (ACCURACY, {"score": 0.25}, (0.25, None, None)),
        (MOOD, {"score": 0}, (0.0, "Sad", None)),
        (MOOD, {"label": "Happy"}, (1.0, "Happy", None)),
        (NOTE, {"comment": "Use bullet points"}, (None, None, None)),
        (THUMBS, {"score": True}, (1.0, None, "up")),
        (THUMBS, {"rating": "down"}, (0.0, None, "down")),
    ],
)
def test_values_that_fit_their_key(
    spec: FeedbackKeySettings, given: dict[str, Any], stored: tuple[Any, ...]
) -> None:
    judged = judge(spec, **given)
    assert (judged.score, judged.label, judged.rating) == stored


@pytest.mark.parametrize(
    ("spec", "given", "message"),
    [
        (STARS, {"score": 6}, "the score must run from 1 to 5; got 6"),
        (STARS, {"score": 2.5}, "must be a whole number"),
        (STARS, {"score": True}, "must be a number"),
        (ACCURACY, {"score": "0.5"}, "must be a number"),
        (MOOD, {"score": 3}, "choose one of 1 (Happy), 0 (Sad)"),
        (NOTE, {"score": 1}, "takes text only"),
        (THUMBS, {"score": 3}, "true/false or 1/0"),
        (STARS, {}, "send a score, a choice or a comment"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_a_reason(
    spec: FeedbackKeySettings, given: dict[str, Any], message: str
) -> None:
    with pytest.raises(APIError) as raised:
        judge(spec, **given)
    assert raised.value.status_code == 422
    assert message in raised.value.detail and f"Key '{spec.name}'" in raised.value.detail


def test_a_client_config_is_checked_and_names_the_field() -> None:
    with pytest.raises(APIError) as raised:
        spec_from_config("k", {"type": "numeric", "min": 5, "max": 1})
    assert "min must not exceed max" in raised.value.detail
    with pytest.raises(APIError) as raised:
        spec_from_config("k", {"type": "stars"})
    assert raised.value.detail.startswith("feedback_config.type:")


async def test_declared_keys_register_and_the_stored_config_wins(
    make_harness: HarnessFactory, caplog: pytest.LogCaptureFixture
) -> None:
    declared = {"name": "stars", "type": "numeric", "min": 1, "max": 5}
    first = await make_harness(feedback_keys=[declared])
    from app.feedback.service import resolve_key

    assert (await first.services.db.read(lambda conn: resolve_key(conn, "stars"))).max == 5
    with caplog.at_level(logging.WARNING):
        second = await make_harness(feedback_keys=[{**declared, "max": 10}])
    assert (await second.services.db.read(lambda conn: resolve_key(conn, "stars"))).max == 5
    assert "stored one is used" in caplog.text
