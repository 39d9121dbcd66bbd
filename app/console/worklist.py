"""What the review page shows for a view: the counts per status, a page of the queue (oldest
first) and the item open, with everything a reviewer judges it by: the conversation up to
the rated reply, the feedback, and the item's history. Reads run side by side."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import Connection

from app.config.review import ReviewSettings
from app.console.query import cursor_text
from app.console.queue import QueueQuery
from app.db.engine import Database
from app.feedback.model import FeedbackView, ReviewEntry
from app.feedback.review import feedback_not_found
from app.feedback.store.queue import neighbours, queue_page, status_counts
from app.feedback.store.reviews import get_review_state, review_history
from app.transcripts.model import TaskView
from app.transcripts.store import get_task, task_window

PAGE_SIZE = 25
EARLIER_TURNS = 50  # the conversation before the rated reply, at most (the chat view has all)


@dataclass(frozen=True)
class Item:
    """The item open in the panel, as stored now."""

    feedback: FeedbackView
    rated: TaskView | None  # the reply that was rated (None: feedback on a whole chat)
    earlier: list[TaskView]  # the turns before it, oldest first
    more_earlier: bool  # the chat has turns before those too
    history: list[ReviewEntry]
    previous_id: str | None
    next_id: str | None


@dataclass(frozen=True)
class Queue:
    query: QueueQuery
    counts: dict[str, int]
    items: list[FeedbackView]
    more_url: str | None  # the list's next page
    item: Item | None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def build(db: Database, settings: ReviewSettings, query: QueueQuery) -> Queue:
    counts, (items, more_url) = await asyncio.gather(
        read_counts(db, settings, query), read_items(db, settings, query)
    )
    chosen = query.item or (items[0].id if items else None)
    item = await read_item(db, settings, query, chosen) if chosen else None
    shown = item.feedback if item else None
    listed = keep(items, shown, query, more=more_url is not None)
    return Queue(query, counts, listed, more_url, item)


async def read_counts(db: Database, settings: ReviewSettings, query: QueueQuery) -> dict[str, int]:
    where = query.where()
    return await db.read(lambda conn: status_counts(conn, settings, where))


async def read_items(
    db: Database, settings: ReviewSettings, query: QueueQuery, *, size: int = PAGE_SIZE
) -> tuple[list[FeedbackView], str | None]:
    """A page of the list from the view's position; the next page's URL if there is more."""
    where = query.where()
    rows = await db.read(
        lambda conn: queue_page(conn, settings, where, after=query.after, size=size + 1)
    )
    items = rows[:size]
    more_url = None
    if len(rows) > size and items:
        last = items[-1]
        more_url = query.url(after=cursor_text(last.created_time, last.id))
    return items, more_url


def keep(
    items: list[FeedbackView], shown: FeedbackView | None, query: QueueQuery, *, more: bool
) -> list[FeedbackView]:
    """The list with the open item in its place, even if it no longer matches the view
    (another reviewer handled it): the item being worked on never leaves under the cursor."""
    if shown is None or any(item.id == shown.id for item in items):
        return items
    position = (shown.created_time, shown.id)
    if query.after is not None and position <= query.after:
        return items  # on an earlier page
    if more and items and position > (items[-1].created_time, items[-1].id):
        return items  # on a later page
    return sorted([*items, shown], key=lambda item: (item.created_time, item.id))


async def read_item(
    db: Database, settings: ReviewSettings, query: QueueQuery, feedback_id: str
) -> Item:
    where = query.where()

    def read(conn: Connection) -> Item:
        feedback = get_review_state(conn, feedback_id)
        if feedback is None:
            raise feedback_not_found(feedback_id)
        rated = get_task(conn, feedback.task_id) if feedback.task_id else None
        earlier: list[TaskView] = []
        more = False
        if rated is not None:
            earlier, more = task_window(
                conn, session_id=rated.session_id, limit=EARLIER_TURNS, before=rated
            )
        elif feedback.session_id is not None:  # on the whole chat: all of it is earlier
            earlier, more = task_window(conn, session_id=feedback.session_id, limit=EARLIER_TURNS)
        previous_id, next_id = neighbours(conn, settings, where, feedback_id)
        history = review_history(conn, feedback_id)
        return Item(feedback, rated, earlier, more, history, previous_id, next_id)

    return await db.read(read)


async def current_state(db: Database, feedback_id: str) -> FeedbackView | None:
    return await db.read(lambda conn: get_review_state(conn, feedback_id))


async def next_after(
    db: Database, settings: ReviewSettings, query: QueueQuery, feedback_id: str
) -> str | None:
    """Where a reviewer goes after acting on an item: the next one in the view's order."""
    where = query.where()
    _previous, following = await db.read(
        lambda conn: neighbours(conn, settings, where, feedback_id)
    )
    return following
