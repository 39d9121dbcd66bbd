from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from app.db.models import Feedback
from tests.support.harness import Harness

DAY_MS = 86_400_000
OCT_1_2025_UTC_MS = 1_759_276_800_000


async def seed(harness: Harness, count: int, rating: str = "up") -> tuple[str, list[str]]:
    session_id = await harness.new_session()
    ids = []
    for number in range(count):
        task_id = await harness.completed_task(session_id, f"question {number}")
        response = await harness.client.post(
            "/api/v1/feedback",
            json={"taskId": task_id, "sessionId": session_id, "feedbackType": rating},
        )
        ids.append(response.json()["id"])
    return session_id, ids


async def set_created(harness: Harness, feedback_id: str, created_ms: int) -> None:
    await harness.change(
        update(Feedback).where(Feedback.id == feedback_id).values(created_time=created_ms)
    )


def links(header: str) -> dict[str, dict[str, list[str]]]:
    found = {}
    for part in header.split(","):
        url, rel = part.split(";")
        found[rel.strip().removeprefix('rel="').removesuffix('"')] = parse_qs(
            urlsplit(url.strip()[1:-1]).query
        )
    return found


async def test_pages_newest_first_with_total_and_links(harness: Harness) -> None:
    _, ids = await seed(harness, 5)
    for offset, feedback_id in enumerate(ids):
        await set_created(harness, feedback_id, OCT_1_2025_UTC_MS + offset * 1000)

    first = await harness.client.get("/api/v1/feedback", params={"page_size": 2})
    second = await harness.client.get("/api/v1/feedback", params={"page": 2, "page_size": 2})

    assert [row["id"] for row in first.json()] == [ids[4], ids[3]]
    assert [row["id"] for row in second.json()] == [ids[2], ids[1]]
    assert first.headers["X-Total-Count"] == "5"
    first_links = links(first.headers["Link"])
    assert first_links["next"]["page"] == ["2"]
    assert "prev" not in first_links
    second_links = links(second.headers["Link"])
    assert (second_links["next"]["page"], second_links["prev"]["page"]) == (["3"], ["1"])
    sam = ["id", "session_id", "task_id", "user_id", "rating", "comment", "created_time"]
    assert list(first.json()[0])[:7] == sam  # SAM's fields first, as they were
    assert set(first.json()[0]) - set(sam) == {
        "key", "score", "label", "weight", "source", "via", "target", "agent_id",
        "organisation", "prompt", "environment", "event_time", "metadata", "reasons", "model",
        "prompt_version", "review_status", "review_labels", "correction", "review_note",
        "review_version", "reviewed_by", "reviewed_time",
    }  # fmt: skip


async def test_filters_by_session_task_and_rating(harness: Harness) -> None:
    _, ids_a = await seed(harness, 2, "up")
    session_b, ids_b = await seed(harness, 1, "down")

    by_session = await harness.client.get("/api/v1/feedback", params={"session_id": session_b})
    by_rating = await harness.client.get("/api/v1/feedback", params={"rating": "up"})
    task_of_b = by_session.json()[0]["task_id"]
    by_task = await harness.client.get("/api/v1/feedback", params={"task_id": task_of_b})

    assert [row["id"] for row in by_session.json()] == ids_b
    assert sorted(row["id"] for row in by_rating.json()) == sorted(ids_a)
    assert [row["id"] for row in by_task.json()] == ids_b


@pytest.mark.parametrize(
    ("params", "expected_days"),
    [
        ({"start_date": "2025-10-02T00:00:00Z"}, [2, 3]),
        ({"start_date": "2025-10-02T02:00:00+02:00"}, [2, 3]),
        ({"start_date": "2025-10-02T00:00:00"}, [2, 3]),
        ({"end_date": "2025-10-02"}, [0, 1, 2]),
        ({"start_date": "2025-10-02", "end_date": "2025-10-02T23:59:59Z"}, [2]),
        ({"end_date": "2025-10-01T23:59:59.999+00:00"}, [0, 1]),
    ],
)
async def test_date_filters_honour_zones_and_treat_naive_as_utc(
    harness: Harness, params: dict[str, str], expected_days: list[int]
) -> None:
    _, ids = await seed(harness, 4)
    # Feedback i is created at noon UTC on Oct (i) 2025, with i = 0 meaning Sep 30.
    for day, feedback_id in enumerate(ids):
        await set_created(
            harness, feedback_id, OCT_1_2025_UTC_MS + (day - 1) * DAY_MS + DAY_MS // 2
        )
    response = await harness.client.get("/api/v1/feedback", params=params)
    assert response.status_code == 200
    assert sorted(ids.index(row["id"]) for row in response.json()) == expected_days


@pytest.mark.parametrize("name", ["start_date", "end_date"])
async def test_bad_date_is_400_with_sam_message(harness: Harness, name: str) -> None:
    response = await harness.client.get("/api/v1/feedback", params={name: "last tuesday"})
    assert response.status_code == 400
    assert response.json()["detail"] == f"Invalid {name} format. Use ISO 8601 format."


@pytest.mark.parametrize(
    "params",
    [
        {"rating": "sideways"},
        {"page": "0"},
        {"page": "x"},
        {"page": "9223372036854775807"},  # would overflow the row offset: 422, not 500
        {"page_size": "0"},
        {"page_size": "101"},
    ],
)
async def test_bad_rating_page_or_size_is_422(harness: Harness, params: dict[str, str]) -> None:
    response = await harness.client.get("/api/v1/feedback", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]


async def test_unknown_task_filter_is_404(harness: Harness) -> None:
    response = await harness.client.get("/api/v1/feedback", params={"task_id": "task-abc123"})
    assert response.status_code == 404
    assert response.json()["detail"] == "Task with ID 'task-abc123' not found."


async def test_listing_shows_only_the_callers_rows(harness: Harness) -> None:
    _, mine = await seed(harness, 1)
    await harness.change(
        update(Feedback).where(Feedback.id == mine[0]).values(user_id="someone_else")
    )
    response = await harness.client.get("/api/v1/feedback")
    assert response.json() == []
    assert response.headers["X-Total-Count"] == "0"
