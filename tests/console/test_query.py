"""Console URLs: a bad value in the query string is a 400 with a message a person can act on
(an error page, or plain text for htmx), never a 500, on every console route. The examples
the attack found first, then a property test (Hypothesis) over hostile query strings against
a real server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import (
    config_dict,
    postgres_database_sync,
    start_server,
    stop_server,
    write_config,
)
from tests.support.console import OPERATOR_KEY, console_app, console_config, rate, sign_in
from tests.support.harness import Harness, HarnessFactory

FILTERED = ("/admin", "/admin/feed", "/admin/live", "/admin/export")
# (query string, words the message must contain)
REFUSED = [
    ("from=9999-01-01", "start is after its end"),
    ("to=0001-01-01", "start is after its end"),
    ("from=2024-01-01T00:00:00%2B99:00", "Invalid from"),
    ("from=10000-01-01", "Invalid from"),
    ("to=10000-01-01", "Invalid to"),
    ("from=9999-12-31T23:59:59-23:59&to=9999-12-31", "from is out of range"),
    ("from=0001-01-01&to=0001-01-01T00:00:00%2B23:59", "to is out of range"),
    ("from=0001-01-01T00:30:00%2B01:00", "from is out of range"),
    ("from=2024-01-01&to=2026-01-01", "at most a year"),
    ("before=99999999999999999999999:x", "feed position"),
    ("before=9223372036854775808:x", "feed position"),
    ("before=-1:x", "feed position"),
    ("before=12:", "feed position"),
    ("before=x:y", "feed position"),
    ("before=%C2%B2:x", "feed position"),  # "²" is a digit to str.isdigit, not to int()
    ("before=%D9%A1%D9%A2:x", "feed position"),  # Arabic-Indic digits
    ("before=12:" + "x" * 40, "feed position"),
]
NEWEST_REFUSED = [
    "99999999999999999999999:x",
    "9223372036854775808:x",
    "-1:x",
    "12:",
    "x",
    "%C2%B2:x",
]
# Far ends of the calendar that are real periods: empty, but fine.
ACCEPTED = [
    "from=0001-01-01&to=0001-01-02",
    "from=9999-12-30&to=9999-12-31",
    "from=9999-12-31T00:00:00%2B23:59&to=9999-12-31",
    "before=9223372036854775807:x",
    "before=0:x",
]


def browser(harness: Harness) -> httpx.AsyncClient:
    """The signed-in client, seeing 500s as answers (not as exceptions in the test)."""
    transport = httpx.ASGITransport(app=harness.asgi, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    client.cookies = harness.client.cookies
    return client


async def signed_in(make_harness: HarnessFactory) -> Harness:
    harness = await console_app(make_harness)
    await rate(harness, "up")
    await sign_in(harness)
    return harness


def page_message(response: httpx.Response) -> str:
    heading = BeautifulSoup(response.text, "html.parser").select_one("h1")
    assert heading is not None, response.text[:300]
    return heading.get_text()


async def test_bad_values_answer_400_with_a_message_on_every_console_route(
    make_harness: HarnessFactory,
) -> None:
    harness = await signed_in(make_harness)
    async with browser(harness) as client:
        for query, words in REFUSED:
            for path in FILTERED:
                page = await client.get(f"{path}?{query}")
                assert page.status_code == 400, (path, query, page.status_code)
                assert page.headers["content-type"].startswith("text/html")
                assert words in page_message(page), (path, query)
                htmx = await client.get(f"{path}?{query}", headers={"HX-Request": "true"})
                assert htmx.status_code == 400, (path, query, htmx.status_code)
                assert htmx.headers["content-type"].startswith("text/plain")
                assert words in htmx.text, (path, query)
        for newest in NEWEST_REFUSED:
            live = await client.get(f"/admin/live?newest={newest}", headers={"HX-Request": "true"})
            assert (live.status_code, "feed position" in live.text) == (400, True), newest


async def test_the_far_ends_of_the_calendar_are_periods_like_any_other(
    make_harness: HarnessFactory,
) -> None:
    harness = await signed_in(make_harness)
    async with browser(harness) as client:
        for query in ACCEPTED:
            for path in FILTERED:
                response = await client.get(f"{path}?{query}")
                assert response.status_code in (200, 303), (path, query, response.status_code)


async def test_the_api_refuses_dates_that_overflow(make_harness: HarnessFactory) -> None:
    """The API's start_date/end_date share the console's date parser."""
    harness = await signed_in(make_harness)
    transport = httpx.ASGITransport(app=harness.asgi, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for name, value in (
            ("start_date", "9999-12-31T23:59:59-23:59"),
            ("end_date", "0001-01-01T00:00:00+23:59"),
        ):
            for path in ("/api/v1/feedback", "/api/v1/feedback/export"):
                response = await client.get(path, params={name: value})
                assert response.status_code == 400, (path, name, response.status_code)
                assert response.json()["detail"] == f"{name} is out of range.", response.text


# --- the property: whatever the query string, no 5xx, on SQLite and PostgreSQL -------------

# Examples per database: 100 take about 4 s each; set more for a longer hunt (2,000: 3 min).
EXAMPLES = int(os.environ.get("FEEDBACK_WIDGET_CONSOLE_EXAMPLES", "100"))
DIGITS = st.text("0123456789", max_size=30)
HUGE = st.integers(-(10**30), 10**30).map(str)
BEYOND_64_BITS = st.sampled_from([str(2**63 - 1), str(2**63), str(2**64), "9" * 23, "9" * 5000])
ODD_NUMBERS = st.sampled_from(["", "-1", "²", "١٢٣", "0x1F", "1e9", " 1", "+1", "1_000", "\uff10"])
NUMBERS = st.one_of(DIGITS, HUGE, BEYOND_64_BITS, ODD_NUMBERS)
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
SEPARATORS = st.sampled_from(["-", "/", ".", ":", " ", "T", "--", "", "+"])
OFFSETS = st.builds(
    lambda sign, hours, minutes: f"{sign}{hours:02}:{minutes:02}",
    st.sampled_from("+-"),
    st.integers(0, 99),
    st.integers(0, 99),
)
# Anywhere in the calendar, and often at its two ends, where conversions overflow.
MOMENTS = st.one_of(
    st.datetimes(),
    st.datetimes(max_value=datetime(1, 1, 2)),
    st.datetimes(min_value=datetime(9999, 12, 30)),
)
DATES = st.one_of(
    MOMENTS.map(lambda moment: moment.date().isoformat()),
    MOMENTS.map(lambda moment: moment.isoformat()),
    st.builds(lambda moment, offset: moment.isoformat() + offset, MOMENTS, OFFSETS),
    st.builds(
        lambda year, month, day, sep: f"{year}{sep}{month:02}{sep}{day:02}",
        st.integers(-1, 20000),
        st.integers(0, 13),
        st.integers(0, 32),
        SEPARATORS,
    ),
)
CURSORS = st.builds(
    lambda moment, sep, feedback_id: f"{moment}{sep}{feedback_id}",
    NUMBERS,
    st.sampled_from([":", "::", "", ";", " : "]),
    st.one_of(st.just("x"), TEXT),
)
WELL_FORMED_CURSORS = st.builds(
    lambda moment, feedback_id: f"{moment}:{feedback_id}", NUMBERS, st.one_of(st.just("x"), TEXT)
)


def period(start: datetime, days: int, start_offset: str, end_offset: str) -> dict[str, str]:
    """`from` and `to` a few days apart (a period the console would draw)."""
    try:
        end = start + timedelta(days=days)
    except OverflowError:
        end = datetime.max if days > 0 else datetime.min
    return {"from": start.isoformat() + start_offset, "to": end.isoformat() + end_offset}


# Often at the calendar's ends, with offsets that may push them over.
PERIODS = st.builds(
    period,
    MOMENTS,
    st.integers(-2, 400),
    st.one_of(st.just(""), OFFSETS),
    st.one_of(st.just(""), OFFSETS),
)
# The values the console's choices take (range, source, rating, format), and one more.
CHOICES = st.sampled_from(
    [
        *("24h", "7d", "30d", "custom", "customer", "platform", "model", "all", "up", "down"),
        *("csv", "jsonl", "xlsx"),
    ]
)
ANYTHING = st.one_of(DATES, CURSORS, NUMBERS, TEXT, CHOICES)
# Each of the console's names, mostly with the kind of value it takes, sometimes anything; a
# few at a time, so one bad value does not hide the others behind its 400.
VALUES_OF = {
    **{name: st.one_of(DATES, ANYTHING) for name in ("from", "to")},
    **{name: st.one_of(CURSORS, ANYTHING) for name in ("before", "newest")},
    **{name: st.one_of(CHOICES, ANYTHING) for name in ("range", "source", "rating", "format")},
    **{name: ANYTHING for name in ("agent", "model", "prompt_version", "key", "reason", "task")},
}
QUERIES = st.one_of(
    PERIODS,
    st.fixed_dictionaries({"before": WELL_FORMED_CURSORS}),
    st.fixed_dictionaries({"newest": WELL_FORMED_CURSORS}),
    st.lists(st.sampled_from(sorted(VALUES_OF)), max_size=3, unique=True).flatmap(
        lambda names: st.fixed_dictionaries({name: VALUES_OF[name] for name in names})
    ),
)


class Console:
    """A real server with some feedback and a signed-in operator's client."""

    def __init__(self, folder: Path, database_url: str) -> None:
        config = write_config(
            folder / "console.yaml", config_dict(database_url=database_url, **console_config())
        )
        self.server = start_server(config)
        self.client = httpx.Client(base_url=self.server.url, timeout=20)
        assert self.client.post("/admin/login", data={"api_key": OPERATOR_KEY}).status_code == 303
        chat = self.client.post("/api/v1/sessions", json={}).json()["id"]
        for rating in ("up", "down", "up"):
            task = self.client.post(
                f"/api/v1/sessions/{chat}/tasks",
                json={"request_text": "q", "status": "completed", "response_text": "a"},
            ).json()["id"]
            body = {"taskId": task, "sessionId": chat, "feedbackType": rating}
            assert self.client.post("/api/v1/feedback", json=body).status_code == 202
        self.chat = chat

    def close(self) -> None:
        self.client.close()
        stop_server(self.server)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def console(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Console]:
    folder = tmp_path_factory.mktemp("console-urls")
    if request.param == "sqlite":
        running = Console(folder, f"sqlite:///{folder / 'console.db'}")
        yield running
        running.close()
        return
    with postgres_database_sync() as url:
        running = Console(folder, url)
        yield running
        running.close()


def check(response: httpx.Response, query: str) -> None:
    assert response.status_code < 500, (response.request.url.path, query, response.status_code)
    if response.status_code == 400:
        assert response.text.strip(), (response.request.url.path, query)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(params=QUERIES, last_event_id=st.one_of(st.none(), NUMBERS, CURSORS, TEXT))
def test_no_console_query_string_gets_a_5xx(
    console: Console, params: dict[str, str], last_event_id: str | None
) -> None:
    query = urlencode(params)
    client = console.client
    logged = len(console.server.log())
    for path in (*FILTERED, f"/admin/chats/{console.chat}"):
        check(client.get(f"{path}?{query}"), query)
        check(client.get(f"{path}?{query}", headers={"HX-Request": "true"}), query)
    headers: dict[str, str | bytes] = {"Accept": "text/event-stream"}
    if last_event_id is not None and last_event_id.isprintable():
        headers["Last-Event-ID"] = last_event_id.strip().encode()
    with client.stream("GET", f"/admin/events?{query}", headers=headers) as stream:
        assert stream.status_code < 500, (query, last_event_id, stream.status_code)
    # Nothing failed behind an answer either (an export cut off mid-stream, say).
    assert "unhandled error" not in console.server.log()[logged:], query
