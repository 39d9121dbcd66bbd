"""Feedback as a file: CSV for spreadsheets, JSON Lines for evaluation jobs. Streamed a keyset
page at a time (never OFFSET), so memory stays flat however many rows match.

CSV is UTF-8 with a byte-order mark, which is how Excel knows it is UTF-8, and a header row.
Every text cell that a spreadsheet could read as a formula is prefixed with `'`, as OWASP's
CSV injection guidance says: one that starts with `=`, `+`, `-` or `@` (or their full-width
forms, which some spreadsheets fold to ASCII), also behind leading whitespace or quotes
(which spreadsheets skip), and one that starts with a tab, a line break or NUL. Numbers are
written as numbers and left alone. JSONL carries every value exactly as stored.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection

from app.clock import now_ms
from app.feedback.listing import FeedbackFilter, export_page

PAGE_ROWS = 1000
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = (
    "id", "created_at", "created_time", "rating", "score", "label", "comment", "reasons",
    "key", "source", "via", "user_id", "session_id", "task_id", "agent_id", "model",
    "prompt_version", "organisation", "prompt", "environment", "weight", "event_time",
    "target_kind", "target_id", "metadata", "review_status", "review_labels", "correction",
    "review_note", "reviewed_by", "reviewed_time",
)  # fmt: skip
# A formula's first character (`=`, `+`, `-`, `@`, and their full-width forms U+FF1D, U+FF0B,
# U+FF0D, U+FF20), behind whatever a spreadsheet skips first (whitespace, quotes); or a first
# character that is risky whatever follows (OWASP; ASVS 1.2.10 adds NUL).
FORMULA = re.compile(r"""[\s'"]*[=+\-@\uff1d\uff0b\uff0d\uff20]|[\t\r\n\x00]""")
BOM = "\ufeff"

Reader = Callable[[Callable[[Connection], list[dict[str, Any]]]], Awaitable[list[dict[str, Any]]]]


def neutralise(text: str) -> str:
    """`text` as a CSV cell no spreadsheet runs: with a leading `'` if it could start a
    formula, else unchanged."""
    return "'" + text if FORMULA.match(text) else text


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
        "review_labels": "; ".join(row["review_labels"]),
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


@dataclass(frozen=True)
class ExportFile:
    chunks: AsyncIterator[bytes]
    media_type: str
    filename: str


def export_file(read: Reader, where: FeedbackFilter, fmt: str) -> ExportFile:
    """Every row `where` selects, as a CSV or JSON Lines file made page by page."""
    return ExportFile(encode(read, where, fmt), MEDIA_TYPES[fmt], filename(fmt, now_ms()))


def filename(fmt: str, now_ms: int) -> str:
    stamp = datetime.fromtimestamp(now_ms / 1000, UTC).strftime("%Y%m%d-%H%M%S")
    return f"feedback-{stamp}.{fmt}"
