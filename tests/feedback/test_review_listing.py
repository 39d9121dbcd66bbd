"""The review's state is part of the feedback's data: the listing, both exports and the summary
filter by `review_status` and `review_label`, and the CSV carries the review's columns (text
behind the formula guard, the time a number)."""

from __future__ import annotations

import json
from typing import Any

from tests.support.databases import parse_csv
from tests.support.harness import Harness, HarnessFactory
from tests.support.reviewing import READ_ALL, rated, review_app, reviewed


async def three_reviews(harness: Harness) -> dict[str, str]:
    """Four feedback: one left open, one reviewed with two labels and a correction, one
    dismissed with one of those labels, one reviewed then labelled and unlabelled."""
    ids = {name: (await rated(harness, "down"))["id"] for name in ("open", "a", "b", "c")}
    await reviewed(
        harness.client,
        ids["a"],
        status="reviewed",
        labels=["tone", "hallucination"],
        correction="=SUM(A1) is how.",
        note="@ops look",
    )
    await reviewed(harness.client, ids["b"], status="dismissed", labels=["tone"])
    await reviewed(harness.client, ids["c"], status="reviewed", labels=["outdated"])
    await reviewed(harness.client, ids["c"], labels=[])
    return ids


async def matching(harness: Harness, **params: str) -> dict[str, list[str]]:
    """The ids each read returns for `params`: the listing, both exports, and the summary's
    count."""
    client = harness.client
    listing = await client.get("/api/v1/feedback", params=params, headers=READ_ALL)
    assert listing.status_code == 200, listing.text
    jsonl = await client.get(
        "/api/v1/feedback/export", params={**params, "format": "jsonl"}, headers=READ_ALL
    )
    csv = await client.get(
        "/api/v1/feedback/export", params={**params, "format": "csv"}, headers=READ_ALL
    )
    summary = await client.get("/api/v1/feedback/summary", params=params, headers=READ_ALL)
    assert summary.status_code == 200, summary.text
    (counted,) = summary.json()["keys"] or [{"count": 0}]
    return {
        "listing": sorted(row["id"] for row in listing.json()),
        "jsonl": sorted(json.loads(line)["id"] for line in jsonl.text.splitlines()),
        "csv": sorted(row["id"] for row in parse_csv(csv.content)),
        "summary": [str(counted["count"])],
    }


def everywhere(*ids: str) -> dict[str, list[str]]:
    return {
        "listing": sorted(ids),
        "jsonl": sorted(ids),
        "csv": sorted(ids),
        "summary": [str(len(ids))],
    }


async def test_every_read_filters_by_review_status_and_label(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    ids = await three_reviews(harness)
    assert await matching(harness, review_status="open") == everywhere(ids["open"])
    assert await matching(harness, review_status="reviewed") == everywhere(ids["a"], ids["c"])
    assert await matching(harness, review_status="dismissed") == everywhere(ids["b"])
    assert await matching(harness, review_label="tone") == everywhere(ids["a"], ids["b"])
    assert await matching(harness, review_label="hallucination") == everywhere(ids["a"])
    # Labels taken off leave the filter too.
    assert await matching(harness, review_label="outdated") == everywhere()
    both = await matching(harness, review_status="reviewed", review_label="tone")
    assert both == everywhere(ids["a"])
    assert await matching(harness) == everywhere(*ids.values())


async def test_an_unknown_review_status_is_422(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    for path in ("/api/v1/feedback", "/api/v1/feedback/export", "/api/v1/feedback/summary"):
        answer = await harness.client.get(path, params={"review_status": "done"}, headers=READ_ALL)
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["query", "review_status"]


async def test_the_csv_carries_the_review(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    ids = await three_reviews(harness)
    exported = await harness.client.get(
        "/api/v1/feedback/export", params={"format": "csv"}, headers=READ_ALL
    )
    rows = {row["id"]: row for row in parse_csv(exported.content)}
    header = list(next(iter(rows.values())))
    assert header[-6:] == [
        "review_status", "review_labels", "correction", "review_note", "reviewed_by",
        "reviewed_time",
    ]  # fmt: skip
    listing = await harness.client.get("/api/v1/feedback", headers=READ_ALL)
    reviewed_a: dict[str, Any] = next(row for row in listing.json() if row["id"] == ids["a"])
    assert {name: rows[ids["a"]][name] for name in header[-6:]} == {
        "review_status": "reviewed",
        "review_labels": "hallucination; tone",
        "correction": "'=SUM(A1) is how.",  # the formula guard, like every text cell
        "review_note": "'@ops look",
        "reviewed_by": "rita",
        "reviewed_time": str(reviewed_a["reviewed_time"]),
    }
    untouched = rows[ids["open"]]
    assert [untouched[name] for name in header[-6:]] == ["open", "", "", "", "", ""]
    assert rows[ids["c"]]["review_labels"] == ""
