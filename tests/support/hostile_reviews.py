"""The harness's review door: a reviewer's action on a fresh thumbs-down through
`POST /api/v1/feedback/{id}/review`, with hostile labels, corrections and notes. Refused, it
changed nothing; accepted, the review reads back identically through the listing, both
exports, the label filter and the action's history."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.support.dialects import OPERATOR
from tests.support.hostile_harness import Fuzz
from tests.support.hostile_values import (
    anything,
    mostly,
    optional,
    short_text,
    sometimes_wrong,
    text,
)

# The review labels offered (tests/test_boundary_harness.py configures them), and a key that
# may review.
REVIEW_LABELS = ("hallucination", "=cmd()", "Ünïcödé ✓", "\u202eRTL", " spaced ")
REVIEWER_NAME = "harness-reviewer"
REVIEWER = {"X-API-Key": "harness-reviewer-key-0123456789"}


def kept(text: Any) -> str | None:
    """A correction or note as stored: blank clears it, anything else is kept exactly."""
    return text if isinstance(text, str) and text.strip() else None


async def review_feedback(fz: Fuzz, data: st.DataObject) -> None:
    session_id, task_id, _ = await fz.completed_task()
    given = await fz.client.post(
        "/api/v1/feedback",
        json={"taskId": task_id, "sessionId": session_id, "feedbackType": "down"},
    )
    assert given.status_code == 202, given.text
    feedback_id = given.json()["id"]
    label = mostly(st.sampled_from(REVIEW_LABELS), short_text, 12)
    status = sometimes_wrong(st.sampled_from(["open", "reviewed", "dismissed"]))
    body = {
        "version": data.draw(mostly(st.just(0), anything, 12), label="version"),
        "status": data.draw(optional(status), label="status"),
        "labels": data.draw(optional(st.lists(label, max_size=3, unique=True)), label="labels"),
        "correction": data.draw(optional(text), label="correction"),
        "note": data.draw(optional(mostly(short_text, text, 4)), label="note"),
    }

    async def state() -> int:
        listed = await fz.client.get(
            "/api/v1/feedback", params={"task_id": task_id}, headers=OPERATOR
        )
        return hash(listed.text)

    url = f"/api/v1/feedback/{feedback_id}/review"
    if answer := await fz.write("review", "POST", url, body=body, headers=REVIEWER, count=state):
        (row,) = await fz.feedback_rows(task_id=task_id)
        labels = [offered for offered in REVIEW_LABELS if offered in (body["labels"] or [])]
        assert row["review_labels"] == labels
        assert row["review_status"] == (body["status"] or "open")
        assert row["correction"] == kept(body["correction"])
        assert row["review_note"] == kept(body["note"])
        assert (row["review_version"], row["reviewed_by"]) == (1, REVIEWER_NAME)
        (entry,) = answer.json()["history"]
        assert (entry["labels"], entry["correction"]) == (labels, row["correction"])
        for offered in labels:
            found = await fz.client.get(
                "/api/v1/feedback", params={"review_label": offered}, headers=OPERATOR
            )
            assert feedback_id in {found_row["id"] for found_row in found.json()}
