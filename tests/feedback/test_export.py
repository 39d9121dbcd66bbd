"""Feedback exports: CSV that spreadsheets open safely, JSONL that round-trips, the listing's
filters and ownership, and flat memory at 100,000 rows against a real server."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import psutil

from app.feedback.export import COLUMNS, csv_record
from tests.support import config_dict, start_server, stop_server, write_config
from tests.support.console import OPERATOR_KEY, console_app, console_config, rate, sign_in
from tests.support.dialects import OPERATOR, PORTKEY_KEY, dialect_options
from tests.support.harness import HarnessFactory
from tests.support.seeding import seed_feedback

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


# A formula start, alone and behind what spreadsheets skip (whitespace, quotes), in ASCII and
# full width (OWASP's CSV injection guidance); and cells that only look close.
FORMULA_CELLS = [
    "=1+1", "+1", "-1", "@SUM(A1)", " =1+1", "  +1", " \t-1", "\t=1+1", "\r@x", "\n=1+1",
    "\r\n=1", "'=1+1", '"=1+1', "' \"@x", "\u00a0=1", "\u3000+1", "\uff1d1+1", "\uff0b1", "\uff0d1",
    "\uff20SUM(A1)", " \uff1d1", "'\uff20x", "\t", "\rx", "\nx", "\x00=1",
]  # fmt: skip
PLAIN_CELLS = ["fine", "a=b", "x-1", "1-2", " hello", "'quoted'", '"quoted"', "(=1)", "~=1", "é"]
# Every column that holds text; the others are numbers (or the export's own timestamp), and
# metadata, an object, is JSON text starting with "{" (checked over HTTP below).
TEXT_COLUMNS = [
    "id", "rating", "label", "comment", "reasons", "key", "source", "via", "user_id",
    "session_id", "task_id", "agent_id", "model", "prompt_version", "organisation", "prompt",
    "environment", "target_kind", "target_id", "review_status", "review_labels", "correction",
    "review_note", "reviewed_by",
]  # fmt: skip
BASE_ROW: dict[str, Any] = {
    "id": "f", "created_time": 0, "rating": "up", "score": -1.0, "label": "ok",
    "comment": None, "reasons": [], "key": "k", "source": "customer", "via": "api",
    "user_id": "u", "session_id": "s", "task_id": "t", "agent_id": "a", "model": "m",
    "prompt_version": "v1", "organisation": "o", "prompt": "p", "environment": "e",
    "weight": 1.0, "event_time": -5, "target": {"kind": "task", "id": "t"}, "metadata": {},
    "review_status": "reviewed", "review_labels": ["tone"], "correction": "Say so.",
    "review_note": "n", "review_version": 1, "reviewed_by": "ops", "reviewed_time": 7,
}  # fmt: skip


def with_cell(column: str, text: str) -> dict[str, Any]:
    """BASE_ROW with `column`'s cell made to read `text` (in the row's own shape)."""
    row = {**BASE_ROW, "target": dict(BASE_ROW["target"])}
    if column in ("reasons", "review_labels"):
        row[column] = [text]
    elif column.startswith("target_"):
        row["target"][column.removeprefix("target_")] = text
    else:
        row[column] = text
    return row


def written(row: dict[str, Any]) -> dict[str, str]:
    """The row as a CSV file carries it, read back with the csv module."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([COLUMNS, csv_record(row)])
    header, cells = csv.reader(io.StringIO(buffer.getvalue(), newline=""))
    return dict(zip(header, cells, strict=True))


def test_every_text_cell_is_guarded_and_nothing_else_changes() -> None:
    baseline = written(BASE_ROW)
    assert (baseline["score"], baseline["event_time"], baseline["weight"]) == ("-1.0", "-5", "1.0")
    assert baseline["reviewed_time"] == "7"
    for column in TEXT_COLUMNS:
        for text in FORMULA_CELLS:
            cells = written(with_cell(column, text))
            assert cells[column] == "'" + text, (column, text)
            assert {**cells, column: baseline[column]} == baseline, (column, text)
        for text in PLAIN_CELLS:
            assert written(with_cell(column, text))[column] == text, (column, text)


def test_numbers_stay_numbers() -> None:
    cells = dict(
        zip(COLUMNS, csv_record({**BASE_ROW, "score": -2.5, "event_time": -1}), strict=True)
    )
    assert (cells["score"], cells["event_time"], cells["weight"]) == (-2.5, -1, 1.0)


async def test_csv_guards_every_column_a_client_fills_and_jsonl_stays_raw(
    make_harness: HarnessFactory,
) -> None:
    """Hostile text through the push API, the SAM API and Portkey, in every column they fill:
    each comes back in the CSV with a `'` in front and otherwise as sent; JSONL as sent."""
    hostile = {
        "user_id": "'=1+1", "agent_id": " =1+1", "model": '"=cmd|\' /c calc\'!A1',
        "prompt_version": "\uff1d1+1", "comment": "\uff20SUM(A1)", "reasons": "-Wrong",
        "organisation": " +1", "prompt": "\uff0d1", "environment": "\uff0b1",
    }  # fmt: skip
    harness = await make_harness(
        **dialect_options(feedback_reasons={"up": ["Clear"], "down": [hostile["reasons"]]})
    )
    chat = await harness.client.post(
        "/api/v1/sessions",
        json={"user_id": hostile["user_id"], "agent_id": hostile["agent_id"]},
        headers=OPERATOR,
    )
    assert chat.status_code == 201, chat.text
    session_id = chat.json()["id"]
    task = await harness.client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={
            "request_text": "q", "status": "completed", "response_text": "a",
            "model": hostile["model"], "prompt_version": hostile["prompt_version"],
            "trace_id": "trace-csv",
        },
        headers=OPERATOR,
    )  # fmt: skip
    assert task.status_code == 201, task.text
    thumbs = {
        "taskId": task.json()["id"], "sessionId": session_id, "feedbackType": "down",
        "feedbackText": hostile["comment"], "reasons": [hostile["reasons"]],
        "userId": hostile["user_id"],
    }  # fmt: skip
    sent = await harness.client.post("/api/v1/feedback", json=thumbs, headers=OPERATOR)
    assert sent.status_code == 202, sent.text
    metadata = {
        "_user": hostile["user_id"], "_organisation": hostile["organisation"],
        "_prompt": hostile["prompt"], "_environment": hostile["environment"], "note": "=1",
    }  # fmt: skip
    portkey = await harness.client.post(
        "/compat/portkey/v1/feedback",
        json={"trace_id": "trace-csv", "value": -3, "metadata": metadata},
        headers={"x-portkey-api-key": PORTKEY_KEY},
    )
    assert portkey.status_code == 200, portkey.text

    exported = await harness.client.get(
        "/api/v1/feedback/export", params={"format": "csv"}, headers=OPERATOR
    )
    rows = {row["via"]: row for row in parse_csv(exported.content)}
    raw = await harness.client.get(
        "/api/v1/feedback/export", params={"format": "jsonl"}, headers=OPERATOR
    )
    sent_as = {line["via"]: line for line in map(json.loads, raw.text.splitlines())}
    assert set(rows) == set(sent_as) == {"api", "portkey"}
    for via, columns in (
        ("api", ["user_id", "agent_id", "model", "prompt_version", "comment", "reasons"]),
        ("portkey", ["user_id", "agent_id", "model", "prompt_version", "organisation",
                     "prompt", "environment"]),
    ):  # fmt: skip
        for column in columns:
            stored = sent_as[via][column]
            assert (stored if column != "reasons" else stored[0]) == hostile[column], column
            assert rows[via][column] == "'" + hostile[column], (via, column)
    # Numbers stay numbers; metadata is JSON text (an object), exactly as the listing has it.
    assert (rows["portkey"]["score"], rows["api"]["weight"]) == ("-3.0", "1.0")
    assert json.loads(rows["portkey"]["metadata"]) == sent_as["portkey"]["metadata"]


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
