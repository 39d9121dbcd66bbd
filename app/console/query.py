"""The dashboard's view, as its URL says it: the period, the filters and the feed's position.
Everything an operator sees is in the query string, so a view can be shared as a link."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import QueryParams

from app.clock import now_ms
from app.config.feedback import REASON_MAX_CHARS
from app.errors import APIError
from app.feedback.listing import FeedbackFilter
from app.i18n.catalogs import N_
from app.i18n.negotiation import TAG_MAX_CHARS, shipped_locale
from app.identity import ReadScope
from app.web.parsing import parse_instant

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
PRESETS = {"24h": DAY_MS, "7d": 7 * DAY_MS, "30d": 30 * DAY_MS}
DEFAULT_PRESET = "7d"
MAX_SPAN_MS = 366 * DAY_MS
MAX_CURSOR_MS = 2**63 - 1  # created_time is a BIGINT
FEEDBACK_ID_MAX_CHARS = 36  # feedback ids are UUIDs
# The filters a breakdown row or a feed item can add, in the order the form shows them.
DIMENSIONS = ("agent", "model", "prompt_version", "key", "reason")


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore")

    range: Literal["24h", "7d", "30d", "custom"] | None = None
    start: str | None = Field(None, alias="from", max_length=32)
    to: str | None = Field(None, max_length=32)
    agent: str | None = Field(None, max_length=255)
    model: str | None = Field(None, max_length=255)
    prompt_version: str | None = Field(None, max_length=255)
    key: str | None = Field(None, max_length=64)
    source: Literal["customer", "platform", "model", "all"] = "customer"
    rating: Literal["up", "down"] | None = None
    reason: str | None = Field(None, max_length=REASON_MAX_CHARS)
    before: str | None = Field(None, max_length=300)
    lang: str | None = Field(None, max_length=TAG_MAX_CHARS)


@dataclass(frozen=True)
class ConsoleQuery:
    start_ms: int
    end_ms: int
    preset: str | None = DEFAULT_PRESET  # None for a custom from/to period
    start_date: str | None = None
    end_date: str | None = None
    agent: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    key: str | None = None
    source: str = "customer"
    rating: str | None = None
    reason: str | None = None
    before: tuple[int, str] | None = None  # the feed continues after this (time, id)
    lang: str | None = None  # the console's language when asked by URL, kept by every view

    @classmethod
    def parse(cls, params: QueryParams, *, now: int | None = None) -> ConsoleQuery:
        values = {name: value for name, value in params.items() if value != ""}
        try:
            given = _Params.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise APIError(400, "invalid_filter", f"{where}: {first['msg']}") from None
        end = now if now is not None else now_ms()
        custom = given.range == "custom" or (given.range is None and bool(given.start or given.to))
        chosen = given.range if given.range in PRESETS else DEFAULT_PRESET
        preset: str | None = chosen
        start = end - PRESETS[chosen]
        if custom:
            preset = None
            start = parse_instant("from", given.start) or end - PRESETS[DEFAULT_PRESET]
            end = parse_instant("to", given.to, end_of_day=True) or end
            if start > end:
                raise APIError(400, "invalid_filter", N_("The period's start is after its end."))
            if end - start > MAX_SPAN_MS:
                raise APIError(400, "invalid_filter", N_("Choose a period of at most a year."))
        return cls(
            start_ms=start,
            end_ms=end,
            preset=preset,
            start_date=given.start if preset is None else None,
            end_date=given.to if preset is None else None,
            agent=given.agent,
            model=given.model,
            prompt_version=given.prompt_version,
            key=given.key,
            source=given.source,
            rating=given.rating,
            reason=given.reason,
            before=parse_cursor(given.before),
            lang=shipped_locale(given.lang),
        )

    @property
    def span_ms(self) -> int:
        return self.end_ms - self.start_ms

    @property
    def bucket_ms(self) -> int:
        """Hourly buckets up to two days, daily beyond."""
        return HOUR_MS if self.span_ms <= 2 * DAY_MS else DAY_MS

    @property
    def origin_ms(self) -> int:
        """Where the first bucket starts: the period's start, down to its hour or (UTC) day."""
        return self.start_ms - self.start_ms % self.bucket_ms

    def previous(self) -> ConsoleQuery:
        """The period of equal length just before this one, with the same filters."""
        return replace(self, start_ms=self.start_ms - self.span_ms, end_ms=self.start_ms - 1)

    def listing_filter(self) -> FeedbackFilter:
        """The same rows as the listing and export read them; an operator reads everyone's."""
        return FeedbackFilter(
            scope=ReadScope(user_id=None, session_id=None),
            start_ms=self.start_ms,
            end_ms=self.end_ms,
            agent_id=self.agent,
            model=self.model,
            prompt_version=self.prompt_version,
            key=self.key,
            source=None if self.source == "all" else self.source,
            rating=self.rating,
            reason=self.reason,
        )

    def params(self, **changes: str | None) -> dict[str, str]:
        """This view's query string values, defaults left out, with `changes` applied (None
        removes one). The feed position is never carried into another view."""
        values: dict[str, str | None] = {
            "range": self.preset if self.preset != DEFAULT_PRESET else None,
            "from": self.start_date,
            "to": self.end_date,
            "agent": self.agent,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "key": self.key,
            "source": self.source if self.source != "customer" else None,
            "rating": self.rating,
            "reason": self.reason,
            "lang": self.lang,
        }
        values.update(changes)
        return {name: value for name, value in values.items() if value is not None}

    def canonical(self) -> dict[str, str]:
        """The query string that says this view and nothing else (the feed position too)."""
        before = cursor_text(*self.before) if self.before else None
        return self.params(before=before)

    def url(self, path: str = "/admin", **changes: str | None) -> str:
        query = urlencode(self.params(**changes))
        return f"{path}?{query}" if query else path

    @property
    def active_filters(self) -> list[tuple[str, str]]:
        shown = [(name, getattr(self, name)) for name in (*DIMENSIONS, "rating")]
        return [(name, value) for name, value in shown if value is not None]


def cursor_text(created_time: int, feedback_id: str) -> str:
    return f"{created_time}:{feedback_id}"


def parse_cursor(value: str | None) -> tuple[int, str] | None:
    """A feed position, `<created ms>:<feedback id>`: ASCII digits that fit the 64-bit column
    (str.isdigit alone also takes "²", which int() refuses) and an id as long as ours at most."""
    if not value:
        return None
    moment, _, feedback_id = value.partition(":")
    if (
        not (moment.isascii() and moment.isdigit())
        or len(moment) > len(str(MAX_CURSOR_MS))
        or int(moment) > MAX_CURSOR_MS
        or not 0 < len(feedback_id) <= FEEDBACK_ID_MAX_CHARS
    ):
        raise APIError(400, "invalid_filter", N_("The feed position in this address is not valid."))
    return int(moment), feedback_id
