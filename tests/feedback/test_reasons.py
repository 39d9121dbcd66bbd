"""Reasons on the thumbs: offered per rating in the modal, checked against the config, stored
with the one submission, and returned wherever feedback is read or published."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select

from app.config import settings_from_mapping
from app.db.models import FeedbackReason
from app.errors import ConfigError
from app.feedback.events import FeedbackSubmitted
from app.publishing.payloads import feedback_part
from tests.support import config_dict
from tests.support.console import REASONS, console_app, rate
from tests.support.harness import Harness, HarnessFactory


async def widget_turn(harness: Harness) -> tuple[str, str]:
    """A completed turn in the dev user's own chat, as the widget shows it."""
    created = await harness.client.post("/chat")
    session_id = created.headers["location"].rsplit("/", 1)[1]
    task_id = await harness.completed_task(session_id)
    return session_id, task_id


async def test_the_modal_offers_each_ratings_reasons_as_checkboxes(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    session_id, _ = await widget_turn(harness)
    page = BeautifulSoup((await harness.client.get(f"/chat/{session_id}")).text, "html.parser")
    dialog = page.select_one("#feedback-dialog")
    assert dialog is not None
    for rating in ("up", "down"):
        fieldset = dialog.select_one(f'fieldset[data-reasons-for="{rating}"]')
        assert (
            fieldset is not None and fieldset.has_attr("hidden") and fieldset.has_attr("disabled")
        )
        boxes = fieldset.select("label.chip input[type=checkbox][name=reasons]")
        assert [box["value"] for box in boxes] == REASONS[rating]
    # Reasons come before the comment, as the modal reads.
    order = [tag.name for tag in dialog.select("fieldset, textarea")]
    assert order == ["fieldset", "fieldset", "textarea"]

    plain = await make_harness()
    session_id, _ = await widget_turn(plain)
    page = BeautifulSoup((await plain.client.get(f"/chat/{session_id}")).text, "html.parser")
    assert page.select("#feedback-dialog fieldset") == []


async def test_widget_reasons_reach_the_row_the_listing_and_the_event(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    session_id, task_id = await widget_turn(harness)
    form = {"task_id": task_id, "rating": "down", "comment": "Too wordy"}
    response = await harness.client.post(
        f"/chat/{session_id}/feedback",
        data={**form, "reasons": ["Too long", "Incorrect"]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 204, response.text

    (row,) = (await harness.client.get("/api/v1/feedback")).json()
    assert row["reasons"] == ["Incorrect", "Too long"]  # in the order offered
    stored = await harness.rows(select(FeedbackReason.reason, FeedbackReason.rating))
    assert sorted(stored) == [("Incorrect", "down"), ("Too long", "down")]
    (event,) = [e for e in harness.events if isinstance(e, FeedbackSubmitted)]
    assert feedback_part(event.feedback)["reasons"] == ["Incorrect", "Too long"]


@pytest.mark.parametrize(
    ("rating", "reasons", "message"),
    [
        ("up", ["Rude"], "'Rude' is not a reason offered for a thumbs-up"),
        ("down", ["Clear"], "'Clear' is not a reason offered for a thumbs-down"),
        ("up", "Clear", "Input should be a valid list"),
        ("up", ["x" * 41], "at most 40 characters"),
    ],
)
async def test_a_reason_not_offered_for_the_rating_is_422(
    make_harness: HarnessFactory, rating: str, reasons: object, message: str
) -> None:
    harness = await console_app(make_harness)
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    body = {"taskId": task_id, "sessionId": session_id, "feedbackType": rating, "reasons": reasons}
    response = await harness.client.post("/api/v1/feedback", json=body)
    assert response.status_code == 422
    assert message in response.text
    assert (await harness.client.get("/api/v1/feedback")).json() == []


async def test_without_configured_reasons_any_reason_is_refused(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness()
    session_id = await harness.new_session()
    task_id = await harness.completed_task(session_id)
    body = {"taskId": task_id, "sessionId": session_id, "feedbackType": "up", "reasons": ["Ok"]}
    response = await harness.client.post("/api/v1/feedback", json=body)
    assert response.status_code == 422 and "the reasons are: none" in response.text


async def test_reasons_are_part_of_the_one_submission(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    first = await rate(harness, "up", reasons=["Clear", "Clear"])
    again = {
        "taskId": first["task_id"],
        "sessionId": first["session_id"],
        "feedbackType": "down",
        "reasons": ["Incorrect"],
    }
    refused = await harness.client.post("/api/v1/feedback", json=again)
    assert refused.status_code == 409
    stored = await harness.rows(select(FeedbackReason.reason))
    assert [reason for (reason,) in stored] == ["Clear"]  # once, and nothing from the refusal


async def test_summary_counts_reasons_and_the_listing_filters_by_one(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "down", reasons=["Too long", "Incorrect"])
    await rate(harness, "down", reasons=["Too long"])
    await rate(harness, "up", reasons=["Accurate"])
    await rate(harness, "up")
    (summary,) = (await harness.client.get("/api/v1/feedback/summary")).json()["keys"]
    assert summary["reasons"] == {"Too long": 2, "Accurate": 1, "Incorrect": 1}
    listed = await harness.client.get("/api/v1/feedback", params={"reason": "Too long"})
    assert [row["reasons"] for row in listed.json()] == [["Too long"], ["Incorrect", "Too long"]]


@pytest.mark.parametrize(
    ("reasons", "message"),
    [
        ({"up": [f"r{n}" for n in range(13)]}, "feedback_reasons.up: at most 12 reasons (got 13)"),
        ({"down": ["x" * 41]}, "feedback_reasons.down: each reason must be 1-40 characters"),
        ({"down": ["Slow", "Slow"]}, "feedback_reasons.down: reason 'Slow' is listed twice"),
    ],
)
def test_reason_config_errors_name_the_key(reasons: dict[str, list[str]], message: str) -> None:
    data = config_dict(database_url="sqlite:///x.db", feedback_reasons=reasons)
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping(data, env={})
    assert f"apps[0].app_config.{message}" in str(raised.value)
