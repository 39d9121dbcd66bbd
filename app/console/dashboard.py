"""What the dashboard shows for a view: headline figures against the period before, the trend,
the breakdowns and the feed. Reads run side by side (SQLite's reader threads, PostgreSQL's
pool); everything else is arithmetic on what they return."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from babel.dates import format_skeleton, format_time
from sqlalchemy import Connection

from app.config.review import ReviewSettings
from app.console.query import DAY_MS, ConsoleQuery, cursor_text, parse_cursor
from app.console.queue import from_dashboard
from app.db.engine import Database
from app.feedback.listing import export_page
from app.feedback.store import analytics
from app.feedback.store.analytics import Combination, Totals
from app.i18n.catalogs import N_

FEED_PAGE = 20
BREAKDOWN_ROWS = 10
# (query parameter, title, position in a Combination)
DIMENSIONS = (
    ("agent", N_("Agent"), 2),
    ("model", N_("Model"), 3),
    ("prompt_version", N_("Prompt version"), 4),
    ("key", N_("Feedback key"), 5),
)


@dataclass(frozen=True)
class Change:
    """Against the previous period of equal length; None where that had nothing."""

    count_pct: float | None
    satisfaction_pts: float | None
    comments_pct: float | None


@dataclass(frozen=True)
class Bucket:
    start_ms: int
    up: int
    down: int

    def label(self, bucket_ms: int, locale: str = "en") -> str:
        """The bucket's day (or day and hour), UTC, as the locale writes them."""
        moment = datetime.fromtimestamp(self.start_ms / 1000, UTC)
        day = format_skeleton("MMMd", moment, tzinfo=UTC, locale=locale)
        if bucket_ms >= DAY_MS:
            return day
        return f"{day} {format_time(moment, 'HH:00', tzinfo=UTC, locale=locale)}"


REVIEW_STATUS_NAMES = {"open": N_("Open"), "reviewed": N_("Reviewed"), "dismissed": N_("Dismissed")}


@dataclass(frozen=True)
class Row:
    value: str | None  # None: the rows that have no value for it
    totals: Totals
    url: str | None  # the dashboard filtered by this value (a review row: the queue)
    shown: str | None = None  # a message to show instead of the value (a review status)


@dataclass(frozen=True)
class Breakdown:
    name: str
    title: str
    rows: list[Row]


@dataclass(frozen=True)
class Feed:
    items: list[dict[str, Any]]
    more_url: str | None  # the next page, keyset-paged
    newest: str | None  # the first item's cursor: live updates bring what came after it


@dataclass(frozen=True)
class Headline:
    current: Totals
    previous: Totals

    @property
    def change(self) -> Change:
        now, before = self.current, self.previous
        points = None
        if now.satisfaction is not None and before.satisfaction is not None:
            points = (now.satisfaction - before.satisfaction) * 100
        return Change(_pct(now.count, before.count), points, _pct(now.comments, before.comments))


@dataclass(frozen=True)
class Dashboard:
    query: ConsoleQuery
    headline: Headline
    trend: list[Bucket]
    breakdowns: list[Breakdown]
    feed: Feed
    # The review queue's part of the view: by review status and by label. Not filters of the
    # dashboard; their rows open the queue, filtered alike.
    reviews: list[Breakdown]


def _pct(now: int, before: int) -> float | None:
    return (now - before) / before * 100 if before else None


async def build(db: Database, query: ConsoleQuery, review: ReviewSettings) -> Dashboard:
    where = query.listing_filter()

    def current(conn: Connection) -> tuple[Counter[Combination], int]:
        found = analytics.combinations(
            conn, where, origin_ms=query.origin_ms, bucket_ms=query.bucket_ms
        )
        return found, analytics.comments(conn, where)

    (found, comments), previous, reasons, feed, statuses, labels = await asyncio.gather(
        db.read(current),
        db.read(lambda conn: analytics.totals(conn, query.previous().listing_filter())),
        db.read(lambda conn: analytics.reasons(conn, where)),
        read_feed(db, query),
        db.read(lambda conn: analytics.review_statuses(conn, where, review)),
        db.read(lambda conn: analytics.review_labels(conn, where)),
    )
    now = _sum(found.items(), comments)
    return Dashboard(
        query=query,
        headline=Headline(now, previous),
        trend=_trend(found, query),
        breakdowns=[*_breakdowns(found, query), _reason_breakdown(reasons, query)],
        feed=feed,
        reviews=[
            _review_breakdown("review_status", N_("Review status"), statuses, query),
            _review_breakdown("review_label", N_("Review label"), labels, query),
        ],
    )


async def headline(db: Database, query: ConsoleQuery) -> Headline:
    """The figures alone, for live updates."""
    current, previous = await asyncio.gather(
        db.read(lambda conn: analytics.totals(conn, query.listing_filter())),
        db.read(lambda conn: analytics.totals(conn, query.previous().listing_filter())),
    )
    return Headline(current, previous)


async def read_feed(
    db: Database, query: ConsoleQuery, *, size: int = FEED_PAGE, newer_than: str | None = None
) -> Feed:
    """A page of the feed from the view's position; with `newer_than` (a cursor), only what
    came after that item."""
    where = query.listing_filter()
    newer = parse_cursor(newer_than)
    rows = await db.read(
        lambda conn: export_page(
            conn, where=where, after=query.before, size=size + 1, newer_than=newer
        )
    )
    items, more = rows[:size], len(rows) > size
    more_url = None
    if more and items:
        last = items[-1]
        more_url = query.url("/admin/feed", before=cursor_text(last["created_time"], last["id"]))
    newest = cursor_text(items[0]["created_time"], items[0]["id"]) if items else None
    return Feed(items, more_url, newest)


def _sum(items: Iterable[tuple[Combination, int]], comments: int) -> Totals:
    count = up = down = 0
    for (_bucket, rating, *_rest), n in items:
        count += n
        up += n if rating == "up" else 0
        down += n if rating == "down" else 0
    return Totals(count, up, down, comments)


def _trend(found: Counter[Combination], query: ConsoleQuery) -> list[Bucket]:
    up: Counter[int] = Counter()
    down: Counter[int] = Counter()
    for (bucket, rating, *_rest), n in found.items():
        if rating == "up":
            up[bucket] += n
        elif rating == "down":
            down[bucket] += n
    last = (query.end_ms - query.origin_ms) // query.bucket_ms
    return [Bucket(query.origin_ms + n * query.bucket_ms, up[n], down[n]) for n in range(last + 1)]


def _breakdowns(found: Counter[Combination], query: ConsoleQuery) -> list[Breakdown]:
    result = []
    for name, title, position in DIMENSIONS:
        groups: dict[str | None, list[tuple[Combination, int]]] = {}
        for combination, n in found.items():
            value = combination[position]
            groups.setdefault(None if value is None else str(value), []).append((combination, n))
        rows = [
            Row(value, _sum(members, 0), query.url(**{name: value}) if value else None)
            for value, members in groups.items()
        ]
        rows.sort(key=lambda row: (-row.totals.count, row.value or ""))
        result.append(Breakdown(name, title, rows[:BREAKDOWN_ROWS]))
    return result


def _reason_breakdown(found: Counter[tuple[str, str]], query: ConsoleQuery) -> Breakdown:
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    for (reason, rating), n in found.items():
        (up if rating == "up" else down)[reason] += n
    rows = [
        Row(reason, Totals(up[reason] + down[reason], up[reason], down[reason], 0),
            query.url(reason=reason))
        for reason in sorted({*up, *down})
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row.totals.count, row.value or ""))
    return Breakdown("reason", N_("Reason"), rows[:BREAKDOWN_ROWS])


def _review_breakdown(
    name: str, title: str, found: Counter[tuple[str, str | None]], query: ConsoleQuery
) -> Breakdown:
    up: Counter[str] = Counter()
    down: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for (value, rating), n in found.items():
        count[value] += n
        up[value] += n if rating == "up" else 0
        down[value] += n if rating == "down" else 0
    key = "status" if name == "review_status" else "label"
    shown = REVIEW_STATUS_NAMES if key == "status" else {}
    rows = [
        Row(value, Totals(count[value], up[value], down[value], 0),
            from_dashboard(query, **{key: value}), shown.get(value))
        for value in count
    ]  # fmt: skip
    rows.sort(key=lambda row: (-row.totals.count, row.value or ""))
    return Breakdown(name, title, rows[:BREAKDOWN_ROWS])
