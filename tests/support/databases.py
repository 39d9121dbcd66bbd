"""What the boundary tests share: a database of either kind, raw JSON (so that lone surrogates,
`1e999` and the like reach the server exactly as a hostile client writes them), and the reads
that must keep working whatever was sent."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from app.db.engine import create_database
from app.db.engine import database_url as connect_url
from app.db.migrate import upgrade
from tests.support import postgres_database
from tests.support.dialects import OPERATOR
from tests.support.harness import Harness

JSON_HEADERS = {"content-type": "application/json"}
SURROGATE = "\ud800"
NUL = "\x00"
# Parameters of a `database` fixture: every boundary test runs on both databases.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# The formula guard's prefix (app/feedback/export.py).
GUARD = "'"


@asynccontextmanager
async def migrated_postgres() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database (the `postgres_url` fixture, for parametrized use)."""
    async with postgres_database() as url:
        db = create_database(connect_url(url))
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        yield url


@asynccontextmanager
async def database_url(kind: str, sqlite_url: str) -> AsyncIterator[str]:
    """The URL of a fresh database of `kind` (a DATABASES parameter)."""
    if kind == "sqlite":
        yield sqlite_url
        return
    async with migrated_postgres() as url:
        yield url


async def everything_reads(app: Harness, session_id: str) -> None:
    """Every read a stored row reaches answers, for the operator and for the user."""
    await feedback_everywhere(app.client)  # the operator's listing and both exports
    await feedback_everywhere(app.client, headers={})  # the dev user's own
    transcript = await app.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)
    assert transcript.status_code == 200, transcript.text
    page = await app.client.get(f"/chat/{session_id}")
    assert page.status_code == 200, page.text
    assert (await app.client.get("/")).status_code == 200


def raw_json(value: Any) -> str:
    """JSON text as Python writes it: lone surrogates and NUL as `\\uXXXX` escapes, which is
    how any client can send them (httpx's own encoder refuses them)."""
    return json.dumps(value)


async def send_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    text = body if isinstance(body, str) else raw_json(body)
    return await client.request(
        method, url, content=text.encode(), headers={**JSON_HEADERS, **(headers or {})}
    )


def refusal(response: httpx.Response) -> tuple[int, str, list[Any]]:
    """(status, code, the first error's loc) of a refused request."""
    body = response.json() if response.status_code >= 400 else {}
    errors = body.get("errors") or [{"loc": None}]
    return response.status_code, body.get("code", ""), errors[0]["loc"]


def parse_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def unguarded(cell: str) -> str:
    """A CSV text cell as it was stored: without the formula guard's prefix."""
    return cell[len(GUARD) :] if cell.startswith(GUARD) else cell


async def feedback_everywhere(
    client: httpx.AsyncClient, headers: dict[str, str] | None = None
) -> tuple[list[dict[str, Any]], int, list[dict[str, Any]], list[dict[str, str]]]:
    """Every feedback row through the listing (first 100), its total, and both exports.
    Each read must answer 200 and the exports must parse to the end."""
    headers = OPERATOR if headers is None else headers
    listing = await client.get("/api/v1/feedback", params={"page_size": 100}, headers=headers)
    assert listing.status_code == 200, listing.text
    jsonl = await client.get("/api/v1/feedback/export", params={"format": "jsonl"}, headers=headers)
    assert jsonl.status_code == 200, jsonl.text
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    exported = await client.get(
        "/api/v1/feedback/export", params={"format": "csv"}, headers=headers
    )
    assert exported.status_code == 200, exported.text
    rows = parse_csv(exported.content)
    total = int(listing.headers["X-Total-Count"])
    assert len(lines) == len(rows) == total
    return listing.json(), total, lines, rows


async def total_feedback(client: httpx.AsyncClient) -> int:
    listing = await client.get("/api/v1/feedback", params={"page_size": 1}, headers=OPERATOR)
    assert listing.status_code == 200, listing.text
    return int(listing.headers["X-Total-Count"])
