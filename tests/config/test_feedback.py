from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.config.feedback import FeedbackReasonSettings


def test_a_reason_reads_its_label_in_the_readers_language() -> None:
    reasons = FeedbackReasonSettings(
        up=("Accurate", "Clear"),
        down=("Incorrect",),
        labels={"Accurate": {"de": "Zutreffend", "en": "Spot on"}, "Incorrect": "Not correct"},
    )
    assert reasons.label("Accurate", "de") == "Zutreffend"
    assert reasons.label("Accurate", "ja") == "Spot on"  # no Japanese label: the English one
    assert reasons.label("Incorrect", "ar") == "Not correct"
    assert reasons.label("Clear", "fr") == "Clear"  # no label: the id


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ({"Nope": "x"}, "not in up or down"),
        ({"Accurate": {"de": ""}}, "1-40 characters"),
        ({"Accurate": {"xx": "y"}}, "literal_error"),
    ],
)
def test_labels_that_cannot_be_shown_are_refused(labels: object, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        FeedbackReasonSettings.model_validate({"up": ["Accurate"], "labels": labels})
    assert message in str(caught.value)
