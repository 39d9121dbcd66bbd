"""Feedback exports: CSV that spreadsheets open safely, JSONL that round-trips, the listing's
filters and ownership, and flat memory at 100,000 rows against a real server."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import httpx
import jwt
import psutil

from app.feedback.export import COLUMNS, csv_record, neutralise
from tests.conftest import HarnessFactory
from tests.console_support import OPERATOR_KEY, console_app, console_config, rate, sign_in
from tests.seeding import seed_feedback
from tests.support import config_dict, start_server, stop_server, write_config

PUSHER_KEY = "pusher-key-0123456789"
DANGEROUS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def parse_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so Excel reads it as UTF-8"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


async def test_csv_neutralises_formulas_and_keeps_numbers(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    for text in DANGEROUS:
        await rate(harness, "down", comment=f"{text}", reasons=["Too long"])
    await rate(harness, "up", comment='Ünïcödé ✓ fine, "quoted", and, commas')
    response = await harness.client.get("/api/v1/feedback/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="feedback-')
    rows = parse_csv(response.content)
    comments = [row["comment"] for row in rows]
    # Stripped of surrounding whitespace when stored, the tab/CR cases start with "x" then.
    assert "'" + DANGEROUS[0] in comments and "'+1+1" in comments and "'-2+3" in comments
    assert "'@SUM(A1)" in comments
    assert 'Ünïcödé ✓ fine, "quoted", and, commas' in comments
    assert all(row["weight"] == "1.0" for row in rows)  # numbers stay numbers
    assert {row["reasons"] for row in rows} == {"Too long", ""}
    assert list(rows[0])[:4] == ["id", "created_at", "created_time", "rating"]


def test_text_cells_are_neutralised_and_numbers_are_not() -> None:
    assert [neutralise(text) for text in ("\tx", "\rx", "fine", "-")] == [
        "'\tx",
        "'\rx",
        "fine",
        "'-",
    ]
    row = {
        "id": "f", "created_time": 0, "rating": "up", "score": -1.0, "label": "-bad",
        "comment": None, "reasons": [], "key": "k", "source": "customer", "via": "api",
        "user_id": "=cmd", "session_id": None, "task_id": None, "agent_id": None, "model": None,
        "prompt_version": None, "organisation": None, "prompt": None, "environment": None,
        "weight": 1.0, "event_time": None, "target": {"kind": "task", "id": "t"}, "metadata": {},
    }  # fmt: skip
    cells = dict(zip(COLUMNS, csv_record(row), strict=True))
    assert cells["score"] == -1.0 and cells["label"] == "'-bad" and cells["user_id"] == "'=cmd"


async def test_jsonl_round_trips_the_listing(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    for n in range(5):
        await rate(harness, "up" if n % 2 else "down", comment=f"c{n}", reasons=None)
    listing = (await harness.client.get("/api/v1/feedback", params={"page_size": 100})).json()
    exported = await harness.client.get("/api/v1/feedback/export", params={"format": "jsonl"})
    assert exported.headers["content-type"] == "application/x-ndjson"
    lines = exported.text.splitlines()
    assert [json.loads(line) for line in lines] == listing


async def test_export_takes_the_listings_filters_and_ownership(
    make_harness: HarnessFactory,
) -> None:
    secret = "s" * 48
    keys = [
        {"name": "ops", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
        {"name": "pusher", "key": PUSHER_KEY, "scopes": ["transcripts:write"]},
    ]
    harness = await make_harness(
        **console_config(auth={"mode": "token", "secret": secret, "api_keys": keys})
    )
    pusher = {"X-API-Key": PUSHER_KEY}

    def bearer(user: str) -> dict[str, str]:
        token = jwt.encode({"sub": user, "exp": int(time.time()) + 300}, secret)
        return {"Authorization": f"Bearer {token}"}

    async def rated_by(user: str, rating: str) -> None:
        chat = await harness.client.post("/api/v1/sessions", json={"user_id": user}, headers=pusher)
        task = await harness.client.post(
            f"/api/v1/sessions/{chat.json()['id']}/tasks",
            json={"request_text": "q", "status": "completed", "response_text": "a"},
            headers=pusher,
        )
        body = {"taskId": task.json()["id"], "sessionId": chat.json()["id"], "feedbackType": rating}
        sent = await harness.client.post("/api/v1/feedback", json=body, headers=bearer(user))
        assert sent.status_code == 202, sent.text

    await rated_by("alice", "up")
    await rated_by("alice", "down")
    await rated_by("bob", "down")
    alice = bearer("alice")
    own = await harness.client.get(
        "/api/v1/feedback/export", params={"format": "jsonl"}, headers=alice
    )
    assert {json.loads(line)["user_id"] for line in own.text.splitlines()} == {"alice"}
    operator = {"X-API-Key": OPERATOR_KEY}
    everyone = await harness.client.get(
        "/api/v1/feedback/export", params={"format": "jsonl", "rating": "down"}, headers=operator
    )
    assert sorted(json.loads(line)["user_id"] for line in everyone.text.splitlines()) == [
        "alice",
        "bob",
    ]
    other = await harness.client.get(
        "/api/v1/feedback/export", params={"query_user_id": "bob"}, headers=alice
    )
    assert other.status_code == 403
    bad = await harness.client.get(
        "/api/v1/feedback/export", params={"format": "xlsx"}, headers=alice
    )
    assert bad.status_code == 422 and "format=csv" in bad.text


async def test_the_console_exports_its_current_view(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "up", model="gpt-4o-mini")
    await rate(harness, "down", model="llama-3.1-8b")
    await sign_in(harness)
    page = (await harness.client.get("/admin?model=llama-3.1-8b")).text
    assert 'href="/admin/export?model=llama-3.1-8b&amp;format=csv"' in page
    response = await harness.client.get("/admin/export?model=llama-3.1-8b&format=csv")
    assert [row["model"] for row in parse_csv(response.content)] == ["llama-3.1-8b"]
    harness.client.cookies.clear()
    assert (await harness.client.get("/admin/export?format=csv")).status_code == 303


def test_100000_rows_export_in_flat_memory(tmp_path: Path, migrated_template: Path) -> None:
    """A real server streams 100,000 rows as CSV; its memory barely moves."""
    database = tmp_path / "big.db"
    database.write_bytes(migrated_template.read_bytes())
    seed_feedback(database, 100_000)
    keys = [{"name": "ops", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]}]
    config = write_config(
        tmp_path / "big.yaml",
        config_dict(database_url=f"sqlite:///{database}", auth={"mode": "dev", "api_keys": keys}),
    )
    server = start_server(config, migrate=False)
    try:
        url, pid = server.url, server.process.pid
        before = psutil.Process(pid).memory_info().rss
        lines = 0
        peak = before
        with httpx.stream(
            "GET", f"{url}/api/v1/feedback/export?format=csv",
            headers={"X-API-Key": OPERATOR_KEY}, timeout=120,
        ) as response:  # fmt: skip
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\r\n")
                peak = max(peak, psutil.Process(pid).memory_info().rss)
        after = psutil.Process(pid).memory_info().rss
    finally:
        stop_server(server)
    grown = (peak - before) / 2**20
    print(
        f"RSS before {before / 2**20:.1f} MiB, peak {peak / 2**20:.1f}, after {after / 2**20:.1f}"
    )
    assert lines == 100_001  # the header and every row
    # The whole file is 18 MiB and the rows as dicts several times that; a page is 1,000.
    assert grown < 25, f"memory grew by {grown:.1f} MiB"
