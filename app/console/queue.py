"""The review queue's view, as its URL says it: the status, label, agent, model, prompt
version and period filters, the list's position and the item open. Like the dashboard's
`ConsoleQuery`, everything is in the query string, so a view can be shared as a link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import QueryParams

from app.bounds import REVIEW_LABEL_MAX_CHARS
from app.clock import now_ms
from app.console.query import (
    FEEDBACK_ID_MAX_CHARS,
    MAX_SPAN_MS,
    PRESETS,
    ConsoleQuery,
    cursor_text,
    parse_cursor,
)
from app.errors import APIError
from app.feedback.review import ReviewStatus
from app.feedback.store.queue import QueueFilter
from app.i18n.catalogs import N_
from app.i18n.negotiation import TAG_MAX_CHARS, shipped_locale
from app.web.parsing import parse_instant

PATH = "/admin/review"
DEFAULT_STATUS = "open"
# What an action just did, said once on the page it leads to.
DONE = ("reviewed", "dismissed", "saved")


class _Params(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: Literal["open", "reviewed", "dismissed", "all"] = "open"
    label: str | None = Field(None, max_length=REVIEW_LABEL_MAX_CHARS)
    agent: str | None = Field(None, max_length=255)
    model: str | None = Field(None, max_length=255)
    prompt_version: str | None = Field(None, max_length=255)
    range: Literal["24h", "7d", "30d", "custom"] | None = None
    start: str | None = Field(None, alias="from", max_length=32)
    to: str | None = Field(None, max_length=32)
    item: str | None = Field(None, max_length=FEEDBACK_ID_MAX_CHARS)
    after: str | None = Field(None, max_length=300)
    done: Literal["reviewed", "dismissed", "saved"] | None = None
    lang: str | None = Field(None, max_length=TAG_MAX_CHARS)


def _check_span(start_ms: int, end_ms: int) -> None:
    if start_ms > end_ms:
        raise APIError(400, "invalid_filter", N_("The period's start is after its end."))
    if end_ms - start_ms > MAX_SPAN_MS:
        raise APIError(400, "invalid_filter", N_("Choose a period of at most a year."))


@dataclass(frozen=True)
class QueueQuery:
    status: str = DEFAULT_STATUS  # or "all"
    label: str | None = None
    agent: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    preset: str | None = None  # 24h, 7d, 30d; None: any time, or the custom from/to
    start_date: str | None = None
    end_date: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    item: str | None = None  # the feedback open in the item panel; else the list's first
    after: tuple[int, str] | None = None  # the list continues after this (time, id)
    done: str | None = None  # the action that led here (said once, never carried on)
    lang: str | None = None

    @classmethod
    def parse(cls, params: QueryParams, *, now: int | None = None) -> QueueQuery:
        values = {name: value for name, value in params.items() if value != ""}
        try:
            given = _Params.model_validate(values)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise APIError(400, "invalid_filter", f"{where}: {first['msg']}") from None
        end = now if now is not None else now_ms()
        start_ms = end_ms = None
        preset = given.range if given.range in PRESETS else None
        custom = given.range == "custom" or (given.range is None and bool(given.start or given.to))
        if preset is not None:
            start_ms, end_ms = end - PRESETS[preset], end
        elif custom:
            start_ms = parse_instant("from", given.start)
            end_ms = parse_instant("to", given.to, end_of_day=True)
            if start_ms is not None and end_ms is not None:
                _check_span(start_ms, end_ms)
        return cls(
            status=given.status,
            label=given.label,
            agent=given.agent,
            model=given.model,
            prompt_version=given.prompt_version,
            preset=preset,
            start_date=given.start if custom else None,
            end_date=given.to if custom else None,
            start_ms=start_ms,
            end_ms=end_ms,
            item=given.item,
            after=parse_cursor(given.after),
            done=given.done,
            lang=shipped_locale(given.lang),
        )

    def where(self) -> QueueFilter:
        status: ReviewStatus | None = None
        if self.status in ("open", "reviewed", "dismissed"):
            status = self.status  # type: ignore[assignment]  # narrowed by the check above
        return QueueFilter(
            status=status,
            label=self.label,
            agent_id=self.agent,
            model=self.model,
            prompt_version=self.prompt_version,
            start_ms=self.start_ms,
            end_ms=self.end_ms,
        )

    def filters(self, **changes: str | None) -> dict[str, str]:
        """The filters' query string values, defaults left out, with `changes` applied (None
        removes one): what every link and form of the page carries on."""
        values: dict[str, str | None] = {
            "status": self.status if self.status != DEFAULT_STATUS else None,
            "label": self.label,
            "agent": self.agent,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "range": self.preset,
            "from": self.start_date,
            "to": self.end_date,
            "lang": self.lang,
        }
        values.update(changes)
        return {name: value for name, value in values.items() if value is not None}

    @property
    def position(self) -> str | None:
        """Where the list starts, as the URL writes it."""
        return cursor_text(*self.after) if self.after else None

    def canonical(self) -> dict[str, str]:
        """The query string that says this view and nothing else."""
        return self.filters(item=self.item, after=self.position, done=self.done)

    def url(self, path: str = PATH, /, **changes: str | None) -> str:
        query = urlencode(self.filters(**changes))
        return f"{path}?{query}" if query else path

    def item_url(self, feedback_id: str | None, **changes: str | None) -> str:
        """An item of this view, the list where it is shown kept."""
        return self.url(item=feedback_id, after=self.position, **changes)

    @property
    def active_filters(self) -> list[tuple[str, str]]:
        shown = ("label", "agent", "model", "prompt_version")
        return [(name, value) for name in shown if (value := getattr(self, name)) is not None]


def from_dashboard(query: ConsoleQuery, **changes: str) -> str:
    """The queue showing a dashboard view's period and filters (a breakdown row's link)."""
    values: dict[str, str | None] = {
        "range": query.preset,
        "from": query.start_date,
        "to": query.end_date,
        "agent": query.agent,
        "model": query.model,
        "prompt_version": query.prompt_version,
        "lang": query.lang,
        **changes,
    }
    if changes.get("status") == DEFAULT_STATUS:
        values["status"] = None
    query_string = urlencode({name: value for name, value in values.items() if value})
    return f"{PATH}?{query_string}"
