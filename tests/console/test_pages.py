"""The operator console: who signs in, the dashboard's figures, filters, feed and chat view.
(How sessions end is in test_console_sessions.py, bad URLs in test_console_urls.py, exports in
test_export.py, the browser in tests/browser/test_console.py.)"""

from __future__ import annotations

import time

from bs4 import BeautifulSoup
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import update

from app.db.models import Feedback
from tests.support.console import (
    OPERATOR_KEY,
    READER_KEY,
    SECRET,
    console_app,
    console_config,
    rate,
    sign_in,
)
from tests.support.harness import Harness, HarnessFactory

DAY_MS = 86_400_000


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def figure(page: BeautifulSoup, name: str) -> str:
    found = page.select_one(f'[data-figure="{name}"]')
    assert found is not None, name
    return found.get_text(strip=True)


async def dashboard(harness: Harness, query: str = "") -> BeautifulSoup:
    response = await harness.client.get(f"/admin{query}")
    assert response.status_code == 200, response.text
    return soup(response.text)


# --- signing in ---------------------------------------------------------------------------


async def test_only_an_operator_key_signs_in(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    first = await harness.client.get("/admin")
    assert (first.status_code, first.headers["location"]) == (303, "/admin/login")

    wrong = await harness.client.post("/admin/login", data={"api_key": "not-a-key-at-all"})
    assert wrong.status_code == 401
    assert soup(wrong.text).select_one("#login-error").get_text() == "Unknown API key"  # type: ignore[union-attr]
    reader = await harness.client.post("/admin/login", data={"api_key": READER_KEY})
    assert reader.status_code == 403
    assert "This key cannot read all feedback" in reader.text
    assert "set-cookie" not in reader.headers

    signed = await harness.client.post("/admin/login", data={"api_key": OPERATOR_KEY})
    assert (signed.status_code, signed.headers["location"]) == (303, "/admin")
    cookie = signed.headers["set-cookie"]
    for attribute in ("HttpOnly", "Path=/admin", "SameSite=strict", "Max-Age=28800"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http here; https below
    page = await harness.client.get("/admin")
    assert page.status_code == 200
    assert "Signed in with" in page.text and "operations" in page.text
    assert "frame-ancestors 'none'" in page.headers.get_list("content-security-policy")
    assert page.headers["cache-control"] == "no-store"


async def test_behind_https_the_cookie_is_secure(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    response = await harness.client.post(
        "https://testserver/admin/login", data={"api_key": OPERATOR_KEY}
    )
    assert "Secure" in response.headers["set-cookie"]


async def test_sign_in_goes_back_where_it_was_asked_for_and_never_elsewhere(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    asked = await harness.client.get("/admin/chats/some-chat?task=t1")
    assert asked.headers["location"] == "/admin/login?next=%2Fadmin%2Fchats%2Fsome-chat%3Ftask%3Dt1"
    form = soup((await harness.client.get(asked.headers["location"])).text)
    assert form.select_one("input[name=next]")["value"] == "/admin/chats/some-chat?task=t1"  # type: ignore[index]
    for target, expected in (
        ("/admin?range=30d", "/admin?range=30d"),
        ("https://evil.example/", "/admin"),
    ):
        response = await harness.client.post(
            "/admin/login", data={"api_key": OPERATOR_KEY, "next": target}
        )
        assert response.headers["location"] == expected


async def test_a_forged_or_expired_cookie_is_refused(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    genuine = harness.client.cookies["fw_console"]
    tampered = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    other_secret = URLSafeTimedSerializer("x" * 40, salt="feedback-widget console session")

    class NineHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 9 * 3600

    old = URLSafeTimedSerializer(
        SECRET, salt="feedback-widget console session", signer=NineHoursAgo
    )
    fingerprint = URLSafeTimedSerializer(SECRET, salt="feedback-widget console session").loads(
        genuine
    )
    for value in (
        tampered,
        other_secret.dumps(fingerprint),
        old.dumps(fingerprint),
        "not-even-a-cookie",
    ):
        harness.client.cookies.set("fw_console", value, path="/admin")
        response = await harness.client.get("/admin")
        assert (response.status_code, response.headers.get("location")) == (303, "/admin/login")
        live = await harness.client.get("/admin/live", headers={"HX-Request": "true"})
        assert (live.status_code, live.headers["HX-Redirect"]) == (401, "/admin/login")


async def test_sign_out_clears_the_session(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    out = await harness.client.post("/admin/logout")
    assert (out.status_code, out.headers["location"]) == (303, "/admin/login")
    assert 'fw_console=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert (await harness.client.get("/admin")).status_code == 303


async def test_console_posts_from_another_origin_are_refused(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    evil = {"Origin": "https://evil.example"}
    assert (await harness.client.post("/admin/logout", headers=evil)).status_code == 403
    login = await harness.client.post("/admin/login", data={"api_key": OPERATOR_KEY}, headers=evil)
    assert login.status_code == 403
    assert (await harness.client.get("/admin")).status_code == 200  # still signed in


async def test_sign_in_attempts_are_rate_limited(make_harness: HarnessFactory) -> None:
    budget = {"enabled": True, "login": {"per_user": "3/minute", "per_address": "3/minute"}}
    harness = await console_app(make_harness, rate_limits=budget)
    codes = [
        (await harness.client.post("/admin/login", data={"api_key": "guess-" + str(n)})).status_code
        for n in range(4)
    ]
    assert codes == [401, 401, 401, 429]


async def test_without_a_secret_the_console_says_what_to_set(make_harness: HarnessFactory) -> None:
    harness = await make_harness(**console_config(admin={}))
    form = await harness.client.get("/admin/login")
    assert "set apps[].app_config.admin.secret" in form.text
    assert soup(form.text).select_one("#api-key").has_attr("disabled")  # type: ignore[union-attr]
    refused = await harness.client.post("/admin/login", data={"api_key": OPERATOR_KEY})
    assert refused.status_code == 503 and "set-cookie" not in refused.headers


async def test_the_widget_stays_cookie_free(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    for path in ("/", "/api/v1/config"):
        assert "set-cookie" not in (await harness.client.get(path)).headers
    created = await harness.client.post("/chat")
    assert "set-cookie" not in created.headers
    # The console's cookie is scoped to /admin: the browser never sends it to the widget.
    assert {cookie.path for cookie in harness.client.cookies.jar} == {"/admin"}


# --- the dashboard ------------------------------------------------------------------------


async def test_headline_figures_against_the_previous_period(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    for rating, comment in (("up", "Great"), ("up", None), ("up", None), ("down", "Wrong")):
        await rate(harness, rating, comment=comment)
    older = [await rate(harness, "down") for _ in range(2)]
    ten_days_ago = int(time.time() * 1000) - 10 * DAY_MS
    await harness.change(
        update(Feedback)
        .where(Feedback.id.in_([row["id"] for row in older]))
        .values(created_time=ten_days_ago)
    )
    await sign_in(harness)

    week = await dashboard(harness)  # 7 days by default
    assert figure(week, "count") == "4"
    assert figure(week, "satisfaction") == "75%"
    assert figure(week, "comments") == "2"
    assert (figure(week, "up"), figure(week, "down")) == ("3", "1")
    changes = [p.get_text(" ", strip=True) for p in week.select("#headline .change")]
    # The week before had 2 feedbacks, both down and without comments.
    assert changes[0].startswith("+100%") and changes[1].startswith("+75 pts")
    month = await dashboard(harness, "?range=30d")
    assert (figure(month, "count"), figure(month, "satisfaction")) == ("6", "50%")


async def test_trend_buckets_hourly_for_a_day_and_daily_beyond(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "up")
    await rate(harness, "down")
    await sign_in(harness)
    day = await dashboard(harness, "?range=24h")
    rows = day.select(".numbers tbody tr")
    assert len(rows) in (24, 25)  # the first hour is partial
    last = [cell.get_text() for cell in rows[-1].select("td")]
    assert last == ["1", "1", "50%"]
    assert len(day.select("svg rect.bar-up")) == len(rows)
    week = await dashboard(harness)
    assert len(week.select(".numbers tbody tr")) in (7, 8)
    assert "per day" in week.select_one("#trend-title").get_text()  # type: ignore[union-attr]


async def test_breakdowns_count_and_link_to_the_filtered_view(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "up", model="gpt-4o-mini", reasons=["Clear"])
    await rate(harness, "down", model="llama-3.1-8b", reasons=["Too long", "Incorrect"])
    await rate(harness, "down", model="llama-3.1-8b", agent="sales", reasons=["Too long"])
    await sign_in(harness)
    page = await dashboard(harness)

    def rows(name: str) -> list[tuple[str, str, str]]:
        table = page.select_one(f"#bd-{name}").find_parent("section")  # type: ignore[union-attr]
        return [
            tuple(cell.get_text(strip=True) for cell in row.select("th, td"))  # type: ignore[misc]
            for row in table.select("tbody tr")
        ]

    assert rows("model") == [("llama-3.1-8b", "2", "0%"), ("gpt-4o-mini", "1", "100%")]
    assert rows("agent") == [("support", "2", "50%"), ("sales", "1", "0%")]
    assert rows("reason") == [
        ("Too long", "2", "0%"),
        ("Clear", "1", "100%"),
        ("Incorrect", "1", "0%"),
    ]
    link = page.select_one("#bd-model").find_parent("section").select_one("tbody a")  # type: ignore[union-attr]
    assert link["href"] == "/admin?model=llama-3.1-8b"  # type: ignore[index]
    narrowed = await dashboard(harness, "?model=llama-3.1-8b")
    assert figure(narrowed, "count") == "2"
    by_reason = await dashboard(harness, "?reason=Too+long&agent=sales")
    assert figure(by_reason, "count") == "1"


async def test_filters_narrow_the_feed(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "up", comment="Loved it", reasons=["Accurate"])
    await rate(harness, "down", comment="Not what I asked", reasons=["Incorrect"])
    await sign_in(harness)
    everything = await dashboard(harness)
    assert len(everything.select("#feed-items .feed-item")) == 2
    down = await dashboard(harness, "?rating=down")
    items = down.select("#feed-items .feed-item")
    assert [item.select_one(".comment").get_text() for item in items] == ["Not what I asked"]  # type: ignore[union-attr]
    assert [li.get_text() for li in items[0].select(".reason-chips li")] == ["Incorrect"]
    chips = [li.get_text(" ", strip=True) for li in down.select(".active-filters li")]
    assert chips == ["rating: down \u00d7"]  # the remove link
    bad = await harness.client.get("/admin?rating=sideways")
    assert bad.status_code == 400 and "rating" in bad.text


async def test_the_feed_pages_by_keyset_with_and_without_javascript(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    ids = [(await rate(harness, "up"))["id"] for _ in range(23)]
    await sign_in(harness)
    page = await dashboard(harness)
    first = [item["id"].removeprefix("fb-") for item in page.select("#feed-items .feed-item")]
    assert first == ids[::-1][:20]
    more = page.select_one("#feed-items li.more a")
    assert more is not None and more["href"].startswith("/admin?before=")  # type: ignore[union-attr]
    assert more["hx-get"].startswith("/admin/feed?before=")  # type: ignore[union-attr,index]

    rest = soup((await harness.client.get(str(more["hx-get"]))).text)
    assert [item["id"].removeprefix("fb-") for item in rest.select(".feed-item")] == ids[::-1][20:]
    assert rest.select_one("li.more") is None
    plain = await dashboard(harness, str(more["href"]).removeprefix("/admin").split("#")[0])
    assert len(plain.select("#feed-items .feed-item")) == 3


async def test_live_brings_the_figures_and_only_what_is_new(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "up")
    await sign_in(harness)
    page = await dashboard(harness)
    newest = page.select_one("#live-newest")["value"]  # type: ignore[index]
    fresh = await rate(harness, "down", comment="Slow")
    answer = soup((await harness.client.get("/admin/live", params={"newest": newest})).text)
    assert answer.select_one("#headline")["hx-swap-oob"] == "true"  # type: ignore[index]
    assert figure(answer, "count") == "2" and figure(answer, "comments") == "1"
    added = answer.select("ol[hx-swap-oob] .feed-item")
    assert [item["id"] for item in added] == [f"fb-{fresh['id']}"]
    assert answer.select_one("#live-newest")["value"].endswith(fresh["id"])  # type: ignore[index,union-attr]


async def test_a_chat_is_shown_read_only_with_the_rated_reply_marked(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    rated = await rate(harness, "down", comment="It ignored my question", reasons=["Incorrect"])
    other = await harness.completed_task(rated["session_id"], "A second question")
    await sign_in(harness)
    page = await dashboard(harness)
    link = page.select_one("#feed-items a[href^='/admin/chats/']")
    assert link is not None
    response = await harness.client.get(str(link["href"]))
    assert response.status_code == 200
    chat = soup(response.text)
    marked = chat.select('li.turn[aria-current="true"]')
    assert [turn["id"] for turn in marked] == [f"task-{rated['task_id']}"]
    assert "It ignored my question" in marked[0].get_text()
    assert chat.select_one(f"#task-{other}") is not None
    assert chat.select("form:not(.signed-in)") == [] and chat.select(".feedback-buttons") == []
    missing = await harness.client.get("/admin/chats/no-such-chat")
    assert missing.status_code == 404


async def test_feed_items_separate_their_details_with_spaced_dots(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    await rate(harness, "up", model="echo-1", agent="Echo agent")
    await sign_in(harness)
    meta = (await dashboard(harness)).select_one("#feed-items .feed-item .meta")
    assert meta is not None
    text = " ".join(meta.get_text().split())
    assert text.endswith(" · echo-1 · Echo agent · View chat"), text
    assert "·" not in text.replace(" · ", "")  # every separator has a space on each side


async def test_the_dashboard_reads_in_the_operators_language(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    for _ in range(3):
        await rate(harness, "up")
    await rate(harness, "down")
    german = soup((await harness.client.get("/admin", headers={"Accept-Language": "de"})).text)
    assert german.select_one("html")["lang"] == "de"
    assert german.select_one(".signed-in button").text == "Abmelden"
    assert german.select_one('[data-figure="satisfaction"]').text == "75\xa0%"
    answer = await harness.client.get("/admin?lang=ar")
    assert answer.status_code == 200, answer.text[:500]
    arabic = soup(answer.text)
    assert (arabic.select_one("html")["lang"], arabic.select_one("html")["dir"]) == ("ar", "rtl")
    presets = [a.text for a in arabic.select(".presets a")]
    assert presets == ["24 ساعة", "7 أيام", "30 يومًا"]  # Arabic's plural forms, by count
