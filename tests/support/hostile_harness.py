"""The boundary harness's client: it sends hostile input the way a hostile client would, and
after every request checks what the issue asks of the server (tests/test_boundary_harness.py):

- no 5xx, ever;
- input the rule refuses (`unstorable` in tests/support/hostile_values.py) is refused as
  `invalid_text`;
- a refused write stored nothing (the feedback total, or the door's own count, is unchanged);
- an accepted feedback reads back alike through the listing, the JSONL export and the CSV
  export (every column; text cells may carry the formula guard's `'`).
"""

from __future__ import annotations

import itertools
import json
import os
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.support.databases import parse_csv, total_feedback
from tests.support.dialects import OPERATOR
from tests.support.hostile_values import dump, same, unstorable

FORM_BOUNDARY = "hostile-form-boundary"
Count = Callable[[], Awaitable[int]]


def has_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in value)


def _multipart_utf7(fields: list[tuple[str, str]]) -> bytes:
    """A form in UTF-7, which Starlette decodes as the request names it: the one way a lone
    surrogate reaches a form field (UTF-8 has no form for it)."""
    parts = [
        f'--{FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value.encode("utf-7")
        + b"\r\n"
        for name, value in fields
    ]
    return b"".join(parts) + f"--{FORM_BOUNDARY}--\r\n".encode()


class Fuzz:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.stats: Counter[tuple[str, bool]] = Counter()
        self._numbers = itertools.count()
        self.run = uuid.uuid4().hex[:8]

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{self.run}-{next(self._numbers)}"

    # --- set-up, through the API -------------------------------------------------------------

    async def session(self, user: str = "dev_user") -> str:
        created = await self.client.post(
            "/api/v1/sessions", json={"id": self.new_id("s"), "user_id": user}, headers=OPERATOR
        )
        assert created.status_code == 201, created.text
        session_id: str = created.json()["id"]
        return session_id

    async def completed_task(self, user: str = "dev_user") -> tuple[str, str, str]:
        """A completed task in a new session: (session id, task id, trace id)."""
        session_id, trace = await self.session(user), self.new_id("tr")
        created = await self.client.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={"request_text": "Q", "status": "completed", "response_text": "A",
                  "trace_id": trace},
            headers=OPERATOR,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        return session_id, created.json()["id"], trace

    async def tasks(self, session_id: str) -> list[dict[str, Any]]:
        listed = await self.client.get(f"/api/v1/sessions/{session_id}/tasks", headers=OPERATOR)
        assert listed.status_code == 200, listed.text
        tasks: list[dict[str, Any]] = listed.json()
        return tasks

    async def total(self) -> int:
        return await total_feedback(self.client)

    # --- sending and judging -----------------------------------------------------------------

    async def send(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        form: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        headers = dict(headers or {})
        if form is not None:
            if any(has_surrogate(value) for _, value in form):
                headers["content-type"] = f"multipart/form-data; boundary={FORM_BOUNDARY}; "
                headers["content-type"] += "charset=utf-7"
                return await self.client.request(
                    method, url, content=_multipart_utf7(form), headers=headers
                )
            headers["content-type"] = "application/x-www-form-urlencoded"
            return await self.client.request(
                method, url, content=urlencode(form).encode(), headers=headers
            )
        headers["content-type"] = "application/json"
        return await self.client.request(method, url, content=dump(body).encode(), headers=headers)

    def judge(
        self, door: str, response: httpx.Response, sent: Any, unclaimed: bool = False
    ) -> bool:
        """Whether the request was accepted; never a 5xx, and hostile input is refused. With
        `unclaimed`, a path no route claims (Starlette's routes never match a newline) may
        answer 404 instead: nothing reads it."""
        status = response.status_code
        assert status < 500, (door, status, response.text[:500])
        if unstorable(sent) and not (unclaimed and status == 404):
            assert status in (400, 422), (door, status, response.text[:300])
            # JSON inside a string is judged when the door reads that field, which may come
            # after another field was refused for another reason.
            if unstorable(sent, in_json_text=False):
                code = response.json()["code"] if "json" in response.headers["content-type"] else ""
                assert code == "invalid_text" or "cannot be stored" in response.text, (door, code)
        accepted = status < 400
        if not accepted and os.environ.get("FEEDBACK_WIDGET_FUZZ_DEBUG"):
            print(f"refused by {door}: {status} {response.text[:200]!r}")
        self.stats[door, accepted] += 1
        return accepted

    async def write(
        self,
        door: str,
        method: str,
        url: str,
        *,
        body: Any = None,
        form: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        count: Count | None = None,
    ) -> httpx.Response | None:
        """Send one write; the response if it was accepted, else None once it is proven that
        it stored nothing."""
        count = count or self.total
        before = await count()
        response = await self.send(method, url, body=body, form=form, headers=headers)
        sent = [value for _, value in form] if form is not None else body
        if self.judge(door, response, sent):
            return response
        assert await count() == before, (door, "a refused write stored something")
        return None

    # --- reading back ------------------------------------------------------------------------

    async def feedback_rows(self, **filters: str) -> list[dict[str, Any]]:
        """The feedback matching `filters`, from the listing, checked against both exports."""
        params = {**filters, "page_size": "100"}
        listing = await self.client.get("/api/v1/feedback", params=params, headers=OPERATOR)
        assert listing.status_code == 200, listing.text
        rows: list[dict[str, Any]] = listing.json()
        exports = {}
        for fmt in ("jsonl", "csv"):
            exported = await self.client.get(
                "/api/v1/feedback/export", params={**filters, "format": fmt}, headers=OPERATOR
            )
            assert exported.status_code == 200, exported.text
            exports[fmt] = exported.content
        # Lines end at "\n" alone: U+2028 and the like are text inside a JSON string.
        lines = [json.loads(line) for line in exports["jsonl"].split(b"\n") if line]
        assert len(lines) == len(rows) and all(map(same, rows, lines)), "JSONL differs"
        cells = parse_csv(exports["csv"])
        assert len(cells) == len(rows)
        for row, record in zip(rows, cells, strict=True):
            for column, cell in record.items():
                assert csv_cell_matches(column, cell, row), (column, cell, row.get(column))
        return rows

    def report(self) -> dict[str, tuple[int, int]]:
        """(accepted, refused) per door."""
        doors = sorted({door for door, _ in self.stats})
        return {door: (self.stats[door, True], self.stats[door, False]) for door in doors}


def csv_cell_matches(column: str, cell: str, row: dict[str, Any]) -> bool:
    """Whether a CSV cell holds the listing row's value (text possibly behind the guard)."""
    if column == "created_at":
        return bool(cell)
    if column in ("target_kind", "target_id"):
        value: Any = row["target"][column.removeprefix("target_")]
    elif column in ("reasons", "review_labels"):
        value = "; ".join(row[column])
    else:
        value = row[column]
    if column == "metadata":
        return cell == "" if not value else same(value, json.loads(_unguarded(cell)))
    if value is None:
        return cell == ""
    if isinstance(value, bool | int | float):
        return float(cell) == value
    return cell in (value, "'" + value)


def _unguarded(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell
