"""The review queue's core: which feedback enters it (config.review), its order and counts,
one action at a time per version (a stale one is a conflict carrying the current state), the
history, and the event published only after commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.config.review import ReviewSettings
from app.db.models import FEEDBACK_REVIEW_LABELS, FEEDBACK_REVIEWS
from app.errors import APIError
from app.feedback.events import FeedbackReviewed
from app.feedback.model import FeedbackView
from app.feedback.review import ReviewChange, ReviewConflict, review
from app.feedback.store.queue import QueueFilter, neighbours, queue_page, status_counts
from app.feedback.store.reviews import review_history
from app.feedback.store.rows import delete_feedback_before
from tests.support.console import console_app, rate
from tests.support.harness import Harness, HarnessFactory

SETTINGS = ReviewSettings()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def harness(make_harness: HarnessFactory, database: str) -> Harness:
    return await console_app(make_harness, database_url=database)


async def act(harness: Harness, change: ReviewChange) -> FeedbackView:
    return await harness.services.writer.run(lambda tx: review(tx, change, SETTINGS))


async def queue(harness: Harness, where: QueueFilter | None = None) -> list[str]:
    chosen = where or QueueFilter()
    rows = await harness.services.db.read(
        lambda conn: queue_page(conn, SETTINGS, chosen, after=None, size=50)
    )
    return [row.id for row in rows]


async def test_thumbs_down_and_comments_from_end_users_enter_in_arrival_order(
    harness: Harness,
) -> None:
    down = await rate(harness, "down")
    await rate(harness, "up")  # no comment: nothing to look at
    commented_up = await rate(harness, "up", comment="Great, but slow")
    assert await queue(harness) == [down["id"], commented_up["id"]]
    counts = await harness.services.db.read(
        lambda conn: status_counts(conn, SETTINGS, QueueFilter())
    )
    assert counts == {"open": 2, "reviewed": 0, "dismissed": 0}

    only_down = ReviewSettings(comments=False)
    rows = await harness.services.db.read(
        lambda conn: queue_page(conn, only_down, QueueFilter(), after=None, size=50)
    )
    assert [row.id for row in rows] == [down["id"]]


async def test_an_action_moves_the_item_records_who_and_keeps_history(
    harness: Harness,
) -> None:
    first, second = await rate(harness, "down"), await rate(harness, "down")
    change = ReviewChange(
        feedback_id=first["id"],
        expected_version=0,
        by="alice",
        status="reviewed",
        labels=("tone", "hallucination"),
        correction="Open **Settings**, then Security.",
        note="Made up a menu",
    )
    stored = await act(harness, change)
    assert (stored.review_status, stored.review_version, stored.reviewed_by) == (
        "reviewed",
        1,
        "alice",
    )
    # The configured order, whatever order they were chosen in.
    assert stored.review_labels == ("hallucination", "tone")
    assert await queue(harness) == [second["id"]]
    assert await queue(harness, QueueFilter(status="reviewed", label="tone")) == [first["id"]]
    assert await queue(harness, QueueFilter(status=None, label="outdated")) == []

    # Next/previous keep their place even though the reviewed item left the open queue.
    assert await harness.services.db.read(
        lambda conn: neighbours(conn, SETTINGS, QueueFilter(), first["id"])
    ) == (None, second["id"])

    again = ReviewChange(feedback_id=first["id"], expected_version=1, by="bob", note="")
    cleared = await act(harness, again)
    assert cleared.review_note is None and cleared.correction == change.correction
    history = await harness.services.db.read(lambda conn: review_history(conn, first["id"]))
    assert [(entry.version, entry.by, entry.note) for entry in history] == [
        (1, "alice", "Made up a menu"),
        (2, "bob", None),
    ]
    reviewed = [event for event in harness.events if isinstance(event, FeedbackReviewed)]
    assert [event.entry.version for event in reviewed] == [1, 2]
    assert reviewed[0].task is not None and reviewed[0].task.id == first["task_id"]


async def test_a_stale_version_is_a_conflict_with_the_current_state(
    harness: Harness,
) -> None:
    item = await rate(harness, "down")
    await act(
        harness,
        ReviewChange(feedback_id=item["id"], expected_version=0, by="alice", status="dismissed"),
    )
    events_before = len(harness.events)
    with pytest.raises(ReviewConflict) as caught:
        await act(
            harness,
            ReviewChange(
                feedback_id=item["id"], expected_version=0, by="bob", correction="Mine instead"
            ),
        )
    assert caught.value.status_code == 409 and caught.value.code == "review_conflict"
    current = caught.value.current
    assert current is not None
    assert (current.review_status, current.reviewed_by, current.correction) == (
        "dismissed",
        "alice",
        None,
    )
    assert "alice" in caught.value.detail
    assert len(harness.events) == events_before  # nothing stored, nothing published


async def test_unknown_labels_long_text_and_unknown_ids_are_refused(
    harness: Harness,
) -> None:
    item = await rate(harness, "down")
    refusals = [
        (ReviewChange(feedback_id=item["id"], expected_version=0, by="a", labels=("rude",)), 422),
        (
            ReviewChange(
                feedback_id=item["id"], expected_version=0, by="a", correction="x" * 20_001
            ),
            422,
        ),
        (ReviewChange(feedback_id=item["id"], expected_version=0, by="a", note="x" * 2001), 422),
        (ReviewChange(feedback_id="no-such-id", expected_version=0, by="a"), 404),
    ]
    for change, status in refusals:
        with pytest.raises(APIError) as caught:
            await act(harness, change)
        assert caught.value.status_code == status
    assert not any(isinstance(event, FeedbackReviewed) for event in harness.events)
    assert await queue(harness) == [item["id"]]


async def test_retention_deletes_a_reviews_history_and_labels_with_its_feedback(
    harness: Harness,
) -> None:
    item = await rate(harness, "down")
    change = ReviewChange(
        feedback_id=item["id"], expected_version=0, by="alice", status="reviewed", labels=("tone",)
    )
    await act(harness, change)
    await harness.services.writer.run(
        lambda tx: delete_feedback_before(tx, before=2**62, limit=100)
    )
    for table in (FEEDBACK_REVIEWS, FEEDBACK_REVIEW_LABELS):
        assert await harness.rows(select(table)) == []
