"""The datasets as JSON Lines files, streamed a keyset page at a time: each page of rated
replies, then the turns of the chats it touches, in one read. Memory holds one page and its
chats, however many rows match."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from typing import Any

import orjson
from sqlalchemy import Connection

from app.clock import now_ms
from app.datasets import lines, store
from app.feedback.export import ExportFile
from app.feedback.listing import FeedbackFilter

PAGE_ROWS = 1000
MEDIA_TYPE = "application/x-ndjson"
KINDS = ("sft", "preferences")

Page = tuple[list[store.RatedReply], dict[str, list[store.ChatTurn]]]
Reader = Callable[[Callable[[Connection], Page]], Awaitable[Page]]
Rows = Callable[..., list[store.RatedReply]]
Lines = Callable[[store.RatedReply, list[store.ChatTurn], str | None], list[dict[str, Any]]]


_ROWS: dict[str, Rows] = {"sft": store.examples, "preferences": store.preference_rows}
_LINES: dict[str, Lines] = {"sft": lines.sft_lines, "preferences": lines.preference_lines}


def system_prompt_of(agent: object) -> str | None:
    """The configured agent's system prompt (only the OpenAI agent has one)."""
    prompt = getattr(agent, "system_prompt", None)
    return prompt if isinstance(prompt, str) else None


def _read_page(
    conn: Connection, *, kind: str, where: FeedbackFilter, after: store.Cursor | None
) -> Page:
    replies = _ROWS[kind](conn, where=where, after=after, size=PAGE_ROWS)
    return replies, store.chat_turns(conn, (reply.session_id for reply in replies))


async def encode(
    read: Reader, kind: str, where: FeedbackFilter, system_prompt: str | None
) -> AsyncIterator[bytes]:
    make_lines = _LINES[kind]
    after: store.Cursor | None = None
    while True:
        replies, chats = await read(partial(_read_page, kind=kind, where=where, after=after))
        made = (
            line
            for reply in replies
            for line in make_lines(reply, chats.get(reply.session_id, []), system_prompt)
        )
        chunk = b"".join(orjson.dumps(line) + b"\n" for line in made)
        if chunk:
            yield chunk
        if len(replies) < PAGE_ROWS:
            return
        after = replies[-1].cursor


def dataset_file(
    read: Reader, kind: str, where: FeedbackFilter, system_prompt: str | None
) -> ExportFile:
    """Every line `where` selects, as a JSON Lines file made page by page."""
    stamp = datetime.fromtimestamp(now_ms() / 1000, UTC).strftime("%Y%m%d-%H%M%S")
    chunks = encode(read, kind, where, system_prompt)
    return ExportFile(chunks, MEDIA_TYPE, f"{kind}-{stamp}.jsonl")
