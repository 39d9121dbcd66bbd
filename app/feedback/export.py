"""Feedback as a file: CSV for spreadsheets, JSON Lines for evaluation jobs. Streamed a keyset
page at a time (never OFFSET), so memory stays flat however many rows match.

CSV is UTF-8 with a byte-order mark, which is how Excel knows it is UTF-8, and a header row.
A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with
`'`, as OWASP's CSV injection guidance says, so no spreadsheet runs it as a formula. Numbers
are written as numbers and left alone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection

from app.feedback.listing import FeedbackFilter, export_page

PAGE_ROWS = 1000
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = (
    "id", "created_at", "created_time", "rating", "score", "label", "comment", "reasons",
    "key", "source", "via", "user_id", "session_id", "task_id", "agent_id", "model",
    "prompt_version", "organisation", "prompt", "environment", "weight", "event_time",
    "target_kind", "target_id", "metadata",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"

Reader = Callable[[Callable[[Connection], list[dict[str, Any]]]], Awaitable[list[dict[str, Any]]]]


def neutralise(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    return neutralise(str(value))


def csv_record(row: dict[str, Any]) -> list[Any]:
    """One feedback row (the listing's shape) as the CSV's cells."""
    flat = {
        **row,
        "created_at": datetime.fromtimestamp(row["created_time"] / 1000, UTC).isoformat(
            timespec="milliseconds"
        ),
        "reasons": "; ".join(row["reasons"]),
        "target_kind": row["target"]["kind"],
        "target_id": row["target"]["id"],
        "metadata": json.dumps(row["metadata"], ensure_ascii=False) if row["metadata"] else "",
    }
    return [_cell(flat[column]) for column in COLUMNS]


def _page(
    conn: Connection, *, where: FeedbackFilter, after: tuple[int, str] | None
) -> list[dict[str, Any]]:
    return export_page(conn, where=where, after=after, size=PAGE_ROWS)


async def pages(read: Reader, where: FeedbackFilter) -> AsyncIterator[list[dict[str, Any]]]:
    """Every matching row, newest first, a page at a time."""
    after: tuple[int, str] | None = None
    while True:
        rows = await read(partial(_page, where=where, after=after))
        if not rows:
            return
        yield rows
        if len(rows) < PAGE_ROWS:
            return
        after = (rows[-1]["created_time"], rows[-1]["id"])


async def encode(read: Reader, where: FeedbackFilter, fmt: str) -> AsyncIterator[bytes]:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write(BOM)
        writer.writerow(COLUMNS)
        async for rows in pages(read, where):
            writer.writerows(csv_record(row) for row in rows)
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
        if buffer.tell():  # nothing matched: the header alone
            yield buffer.getvalue().encode()
        return
    async for rows in pages(read, where):
        yield b"".join(orjson.dumps(row) + b"\n" for row in rows)


def filename(fmt: str, now_ms: int) -> str:
    stamp = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y%m%d-%H%M%S")
    return f"feedback-{stamp}.{fmt}"
