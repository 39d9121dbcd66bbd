"""The console's review queue (/admin/review): what enters and in what order, the filters in the
URL and the counts, the item panel, the actions as plain forms (the next item after each),
a second reviewer's conflict, read-only keys, the preview, live refreshes and the dashboard's
review breakdowns. (The browser's keyboard, live updates and axe are in
tests/browser/test_review_queue.py.)"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Tag

from app.feedback.events import FeedbackReviewed
from tests.support import reviewing
from tests.support.console import console_app, rate, sign_in
from tests.support.harness import Harness, HarnessFactory

REVIEWER_KEY = "reviewer-key-0123456789"
SECOND_KEY = "second-reviewer-key-0123456789"
LOOKER_KEY = "looker-key-0123456789"
REVIEW_KEYS = [
    {"name": "rita", "key": REVIEWER_KEY, "scopes": ["feedback:read:all", "feedback:review"]},
    {"name": "sam", "key": SECOND_KEY, "scopes": ["feedback:read:all", "feedback:review"]},
    {"name": "looker", "key": LOOKER_KEY, "scopes": ["feedback:read:all"]},
]
CODE_REPLY = "Run this:\n\n```python\nprint('reset')\n```"


async def review_app(make_harness: HarnessFactory, **extra: Any) -> Harness:
    return await console_app(make_harness, auth={"mode": "dev", "api_keys": REVIEW_KEYS}, **extra)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def one(page: BeautifulSoup | Tag, selector: str) -> Tag:
    found = page.select_one(selector)
    assert found is not None, selector
    return found


async def queue(harness: Harness, query: str = "", status: int = 200) -> BeautifulSoup:
    response = await harness.client.get(f"/admin/review{query}")
    assert response.status_code == status, response.text[:2000]
    return soup(response.text)


def listed(page: BeautifulSoup) -> list[str]:
    return [str(item["data-id"]) for item in page.select("#queue-items .queue-item")]


def counts(page: BeautifulSoup) -> dict[str, str]:
    return {
        str(span["data-count"]): span.get_text(strip=True)
        for span in page.select("#review-counts [data-count]")
    }


def selected(page: BeautifulSoup) -> str:
    return str(one(page, '#queue-items a[aria-current="true"]').find_parent("li")["data-id"])  # type: ignore[index,union-attr]


def form_fields(page: BeautifulSoup) -> dict[str, Any]:
    form = one(page, "#review-form")
    return {
        "action": form["action"],
        "version": one(form, "input[name=version]")["value"],
        "labels": [box["value"] for box in form.select("input[name=labels][checked]")],
        "correction": one(form, "#correction").get_text().removeprefix("\n"),
        "note": one(form, "#note").get_text().removeprefix("\n"),
    }


async def act(harness: Harness, page: BeautifulSoup, action: str, **fields: Any) -> Any:
    """Submit the open item's form as a browser would: its fields, changed by `fields`."""
    values = form_fields(page)
    data: dict[str, Any] = {
        "version": values["version"],
        "labels": fields.get("labels", values["labels"]),
        "correction": fields.get("correction", values["correction"]),
        "note": fields.get("note", values["note"]),
        "action": action,
    }
    return await harness.client.post(str(values["action"]), data=data)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


# --- what enters, in what order, and the counts ----------------------------------------


async def test_the_queue_holds_thumbs_down_and_comments_oldest_first(
    make_harness: HarnessFactory,
) -> None:
    harness = await review_app(make_harness)
    first = await rate(harness, "down")
    await rate(harness, "up")  # a thumbs-up without a comment needs no look
    second = await rate(harness, "up", comment="Good, but the link is dead")
    third = await rate(harness, "down", reasons=["Incorrect"])
    await sign_in(harness, REVIEWER_KEY)

    page = await queue(harness)
    assert listed(page) == [first["id"], second["id"], third["id"]]
    assert selected(page) == first["id"]  # the oldest is open by default
    assert counts(page) == {"open": "3", "reviewed": "0", "dismissed": "0", "all": "3"}
    assert one(page, '#review-counts a[aria-current="page"]').get_text(" ", strip=True) == "Open 3"
    nav = one(page, ".console-nav")
    assert one(nav, 'a[aria-current="page"]').get_text() == "Review"
    assert one(page, 'a[href="/admin"]') is not None  # back to the dashboard


async def test_filters_live_in_a_canonical_url(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    small = await rate(harness, "down", model="llama-3.1-8b", prompt_version="v2")
    await rate(harness, "down", model="gpt-4o-mini", agent="sales")
    await sign_in(harness, REVIEWER_KEY)

    # The filter form sends every field, empty or default: the address names what was chosen.
    sent = await harness.client.get(
        "/admin/review?status=open&label=&agent=&model=llama-3.1-8b&prompt_version=&range="
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/admin/review?model=llama-3.1-8b")
    page = await queue(harness, "?model=llama-3.1-8b")
    assert listed(page) == [small["id"]]
    assert counts(page)["open"] == "1"
    chips = [li.get_text(" ", strip=True) for li in page.select(".active-filters li")]
    assert chips == ["model: llama-3.1-8b \u00d7"]
    # Every link of the page keeps the filter.
    status_link = one(page, '#review-counts a:-soup-contains("Reviewed")')
    assert query_of(str(status_link["href"])) == {"model": ["llama-3.1-8b"], "status": ["reviewed"]}
    assert listed(await queue(harness, "?agent=sales&range=7d")) != []
    assert listed(await queue(harness, "?prompt_version=v2")) == [small["id"]]
    assert listed(await queue(harness, "?status=reviewed")) == []
    bad = await harness.client.get("/admin/review?status=sideways")
    assert bad.status_code == 400 and "status" in bad.text


# --- the item panel ------------------------------------------------------------------------


async def test_the_item_shows_the_conversation_the_reply_and_the_feedback(
    make_harness: HarnessFactory,
) -> None:
    harness = await review_app(make_harness)
    session_id = await harness.new_session(agent_id="support")
    await harness.completed_task(session_id, "First question")
    await harness.completed_task(session_id, "Second question")
    task_id = await harness.completed_task(
        session_id,
        "How do I reset it?",
        response_text=CODE_REPLY,
        model="llama-3.1-8b",
        prompt_version="v7",
    )
    body = {
        "taskId": task_id,
        "sessionId": session_id,
        "feedbackType": "down",
        "feedbackText": "That script does nothing",
        "reasons": ["Incorrect", "Too long"],
    }
    given = await harness.client.post("/api/v1/feedback", json=body)
    assert given.status_code == 202
    await sign_in(harness, REVIEWER_KEY)

    panel = one(await queue(harness), "#item")
    earlier = one(panel, "details.earlier-turns")
    assert "open" not in earlier.attrs  # earlier turns start collapsed
    assert "2 earlier turns" in one(earlier, "summary").get_text()
    assert [p.get_text() for p in earlier.select(".user-text")] == [
        "First question",
        "Second question",
    ]
    rated = one(panel, '[data-item="rated"] li.turn.rated')
    assert one(rated, ".user-text").get_text() == "How do I reset it?"
    # The reply as the widget showed it: highlighted code with its Copy button.
    assert one(rated, ".markdown .code-block button.copy").get_text() == "Copy"
    assert "print" in one(rated, ".markdown pre").get_text()
    facts = {
        str(dd["data-item"]): dd.get_text(" ", strip=True) for dd in panel.select("[data-item]")
    }
    assert facts["comment"] == "That script does nothing"
    assert facts["reasons"] == "Incorrect Too long"
    assert (facts["agent"], facts["model"], facts["prompt_version"]) == (
        "support",
        "llama-3.1-8b",
        "v7",
    )
    assert facts["status"] == "Open"
    assert "No one has acted on this item yet." in one(panel, ".history").get_text()
    labels = [box["value"] for box in panel.select("input[name=labels]")]
    assert labels == ["hallucination", "wrong tool", "tone", "outdated"]
    keys = [box["data-label-key"] for box in panel.select("input[name=labels]")]
    assert keys == ["1", "2", "3", "4"]
    assert one(panel, "label[for=correction]").get_text() == "Corrected answer"
    assert one(panel, "label[for=note]").get_text() == "Note"
    buttons = [button.get_text(strip=True) for button in panel.select(".review-actions button")]
    assert buttons == ["Mark reviewed", "Dismiss", "Save"]


async def test_the_help_lists_every_key(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    await rate(harness, "down")
    await sign_in(harness, REVIEWER_KEY)
    page = await queue(harness)
    dialog = one(page, "dialog#review-help")
    keys = [kbd.get_text() for kbd in dialog.select("tbody kbd")]
    assert keys == ["j", "k", "r", "d", "c", "n", "1\u20139", "?", "Esc"]
    assert one(dialog, "form[method=dialog] button").get_text() == "Close"
    assert one(page, 'script[src^="/static/review.js?v="]') is not None
    shortcuts = {str(el["aria-keyshortcuts"]) for el in page.select("[aria-keyshortcuts]")}
    assert {"r", "d", "c", "n", "?", "1"} <= shortcuts


# --- acting on items, without JavaScript -----------------------------------------------------


async def test_mark_reviewed_dismiss_and_save_as_plain_forms(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    ids = [(await rate(harness, "down", model="llama-3.1-8b"))["id"] for _ in range(3)]
    await sign_in(harness, REVIEWER_KEY)

    page = await queue(harness, "?model=llama-3.1-8b")
    answer = await act(
        harness,
        page,
        "reviewed",
        labels=["tone", "hallucination"],
        correction="Open **Settings**, then *Reset*.",
        note="Made up a menu",
    )
    # On to the next item, the filters kept.
    assert answer.status_code == 303
    target = answer.headers["location"]
    assert query_of(target) == {
        "model": ["llama-3.1-8b"],
        "item": [ids[1]],
        "done": ["reviewed"],
    }
    (event,) = [e for e in harness.events if isinstance(e, FeedbackReviewed)]
    assert (event.entry.by, event.feedback.review_status) == ("rita", "reviewed")
    assert event.feedback.review_labels == ("hallucination", "tone")  # the configured order
    assert event.feedback.correction == "Open **Settings**, then *Reset*."
    assert event.feedback.review_note == "Made up a menu"

    page = await queue(harness, target.removeprefix("/admin/review"))
    assert selected(page) == ids[1]
    assert one(page, ".done").get_text() == "Marked reviewed. This is the next item."
    assert listed(page) == ids[1:]  # the reviewed item left the open queue
    assert counts(page) == {"open": "2", "reviewed": "1", "dismissed": "0", "all": "3"}

    dismissed = await act(harness, page, "dismissed")
    assert query_of(dismissed.headers["location"])["item"] == [ids[2]]

    # Save keeps the reviewer on the item, and the history says who did what.
    page = await queue(harness, "?status=reviewed")
    saved = await act(harness, page, "save", note="Checked twice")
    assert query_of(saved.headers["location"]) == {
        "status": ["reviewed"],
        "item": [ids[0]],
        "done": ["saved"],
    }
    page = await queue(harness, saved.headers["location"].removeprefix("/admin/review"))
    entries = page.select(".history-items > li")
    assert [entry["data-version"] for entry in entries] == ["1", "2"]
    assert all("rita" in entry.get_text() for entry in entries)
    first, second = (entry.get_text(" ", strip=True) for entry in entries)
    assert "Marked reviewed" in first and "Labels: hallucination, tone" in first
    assert "Wrote the corrected answer" in first and "Note: Made up a menu" in first
    assert "Note: Checked twice" in second and "Marked reviewed" not in second
    assert form_fields(page)["labels"] == ["hallucination", "tone"]
    assert form_fields(page)["correction"] == "Open **Settings**, then *Reset*."
    assert form_fields(page)["version"] == "2"

    by_label = await queue(harness, "?status=all&label=tone")
    assert listed(by_label) == [ids[0]]


async def test_a_second_reviewer_gets_a_conflict_and_keeps_their_text(
    make_harness: HarnessFactory,
) -> None:
    harness = await review_app(make_harness)
    item = await rate(harness, "down")
    await sign_in(harness, REVIEWER_KEY)
    seen_by_sam = await queue(harness)  # both have the item open at version 0
    first = await act(harness, seen_by_sam, "dismissed", labels=["outdated"])
    assert first.status_code == 303

    await sign_in(harness, SECOND_KEY)
    late = await act(
        harness,
        seen_by_sam,
        "reviewed",
        labels=["tone"],
        correction="The answer I spent ten minutes on.",
        note="Please keep this",
    )
    assert late.status_code == 409
    page = soup(late.text)
    conflict = one(page, "#conflict")
    assert conflict["role"] == "alert"
    assert "rita" in conflict.get_text()
    assert one(conflict, '[data-conflict="status"]').get_text() == "Dismissed"
    assert one(conflict, '[data-conflict="labels"]').get_text() == "outdated"
    # Nothing is lost: the form holds what sam wrote, ready to be sent again on purpose.
    fields = form_fields(page)
    assert fields["correction"] == "The answer I spent ten minutes on."
    assert fields["note"] == "Please keep this"
    assert fields["labels"] == ["tone"]
    assert fields["version"] == "1"  # the current version: sending again is a decision
    stored = [e.feedback for e in harness.events if isinstance(e, FeedbackReviewed)]
    assert [(f.id, f.review_status, f.correction) for f in stored] == [
        (item["id"], "dismissed", None)
    ]

    again = await act(harness, page, "reviewed")
    assert again.status_code == 303
    last = [e for e in harness.events if isinstance(e, FeedbackReviewed)][-1]
    assert (last.entry.by, last.feedback.correction) == (
        "sam",
        "The answer I spent ten minutes on.",
    )


async def test_too_long_a_note_is_refused_and_kept(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    await rate(harness, "down")
    await sign_in(harness, REVIEWER_KEY)
    page = await queue(harness)
    refused = await act(harness, page, "save", note="x" * 2001, correction="Kept")
    assert refused.status_code == 422
    answer = soup(refused.text)
    assert "2,000" in one(answer, "#review-error").get_text()
    assert form_fields(answer)["correction"] == "Kept"


async def test_a_read_only_key_may_look_but_not_act(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    item = await rate(harness, "down", comment="Wrong")
    await sign_in(harness, LOOKER_KEY)
    page = await queue(harness)
    assert listed(page) == [item["id"]]
    assert page.select("#review-form") == []
    assert "feedback:review" in one(page, "#read-only").get_text()
    refused = await harness.client.post(
        f"/admin/review/{item['id']}", data={"action": "reviewed", "version": "0"}
    )
    assert refused.status_code == 403
    assert "feedback:review" in one(soup(refused.text), "#review-error").get_text()
    assert not [e for e in harness.events if isinstance(e, FeedbackReviewed)]


async def test_end_users_and_signed_out_visitors_reach_none_of_it(
    make_harness: HarnessFactory,
) -> None:
    harness = await review_app(make_harness)
    item = await rate(harness, "down")
    page = await harness.client.get("/admin/review")
    assert page.headers["location"] == "/admin/login?next=%2Fadmin%2Freview"
    posted = await harness.client.post(
        f"/admin/review/{item['id']}", data={"action": "reviewed", "version": "0"}
    )
    assert posted.status_code == 401
    evil = {"Origin": "https://evil.example"}
    await sign_in(harness, REVIEWER_KEY)
    forged = await harness.client.post(
        f"/admin/review/{item['id']}", data={"action": "reviewed", "version": "0"}, headers=evil
    )
    assert forged.status_code == 403
    assert not [e for e in harness.events if isinstance(e, FeedbackReviewed)]


async def test_an_end_users_signed_token_opens_nothing(make_harness: HarnessFactory) -> None:
    """In token mode, the user who gave the feedback holds a valid token, for any chat or for
    that chat alone: the console's pages send it to the sign-in form, and its posts, the
    preview and the live part (an htmx request) answer 401, whichever header carries it."""
    harness = await reviewing.review_app(make_harness)
    given = await reviewing.rated(harness, "down", user="ann")
    form = {"action": "reviewed", "version": "0", "correction": "Mine"}
    for token in (
        reviewing.bearer("ann"),
        reviewing.bearer("ann", sid=given["session_id"]),
    ):
        for headers in (token, {"X-API-Key": token["Authorization"].split()[1]}):
            page = await harness.client.get("/admin/review", headers=headers)
            assert page.status_code == 303
            assert page.headers["location"].startswith("/admin/login")
            htmx = {**headers, "HX-Request": "true"}
            live = await harness.client.get("/admin/review/live", headers=htmx)
            assert live.status_code == 401
            for path in (f"/admin/review/{given['id']}", "/admin/review/preview"):
                posted = await harness.client.post(path, data=form, headers=headers)
                assert posted.status_code == 401, path
    assert not [e for e in harness.events if isinstance(e, FeedbackReviewed)]


# --- the preview -----------------------------------------------------------------------------


async def test_the_preview_renders_as_the_widget_with_and_without_javascript(
    make_harness: HarnessFactory,
) -> None:
    harness = await review_app(make_harness)
    await rate(harness, "down")
    await sign_in(harness, REVIEWER_KEY)
    partial = await harness.client.post(
        "/admin/review/preview",
        data={"correction": CODE_REPLY + "\n\n<script>alert(1)</script>"},
        headers={"HX-Request": "true"},
    )
    assert partial.status_code == 200
    shown = soup(partial.text)
    assert one(shown, ".markdown .code-block button.copy").get_text() == "Copy"
    assert shown.select("script") == []  # raw HTML is shown as text, as in the widget
    empty = soup((await harness.client.post("/admin/review/preview", data={})).text)
    assert "Write a corrected answer" in empty.get_text()

    page = await queue(harness)
    plain = await act(harness, page, "preview", correction="**Bold** answer")
    assert plain.status_code == 200
    again = soup(plain.text)
    assert one(again, "#correction-preview .markdown strong").get_text() == "Bold"
    assert form_fields(again)["correction"] == "**Bold** answer"
    assert not [e for e in harness.events if isinstance(e, FeedbackReviewed)]  # nothing stored


# --- live ------------------------------------------------------------------------------------


async def test_live_brings_new_items_and_keeps_the_open_one(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    first = await rate(harness, "down")
    second = await rate(harness, "down")
    await sign_in(harness, REVIEWER_KEY)
    page = await queue(harness)
    inputs = {str(i["name"]): str(i["value"]) for i in page.select("#review-live input")}
    assert inputs == {"item": first["id"], "seen": "0"}

    fresh = await rate(harness, "down", comment="Arrived live")
    answer = soup((await harness.client.get("/admin/review/live", params=inputs)).text)
    assert listed(answer) == [first["id"], second["id"], fresh["id"]]
    assert counts(answer)["open"] == "3"
    assert answer.select_one("[hx-swap-oob='innerHTML:#item-notice']") is None

    # Another reviewer handles both older items: the second leaves, the open one stays,
    # and its panel is told it moved on.
    await sign_in(harness, SECOND_KEY)
    for feedback_id in (first["id"], second["id"]):
        other = await queue(harness, f"?item={feedback_id}")
        assert (await act(harness, other, "dismissed")).status_code == 303
    answer = soup((await harness.client.get("/admin/review/live", params=inputs)).text)
    assert listed(answer) == [first["id"], fresh["id"]]
    assert counts(answer) == {"open": "1", "reviewed": "0", "dismissed": "2", "all": "3"}
    notice = one(answer, "[hx-swap-oob='innerHTML:#item-notice']")
    assert "sam dismissed this item while you had it open." in notice.get_text(" ", strip=True)


# --- the dashboard ---------------------------------------------------------------------------


async def test_the_dashboard_breaks_down_by_review_status_and_label(
    make_harness: HarnessFactory,
) -> None:
    harness = await review_app(make_harness)
    for _ in range(3):
        await rate(harness, "down")
    await rate(harness, "up")  # not in the queue: in neither breakdown
    await sign_in(harness, REVIEWER_KEY)
    for labels in (["tone"], ["tone", "outdated"]):
        assert (
            await act(harness, await queue(harness), "reviewed", labels=labels)
        ).status_code == 303

    page = soup((await harness.client.get("/admin")).text)
    assert one(page, '.console-nav a[href="/admin/review"]').get_text() == "Review"

    def rows(name: str) -> list[tuple[str, ...]]:
        table = one(page, f"#bd-{name}").find_parent("section")
        assert isinstance(table, Tag)
        return [
            tuple(cell.get_text(strip=True) for cell in row.select("th, td"))
            for row in table.select("tbody tr")
        ]

    assert rows("review_status") == [("Reviewed", "2", "0%"), ("Open", "1", "0%")]
    assert rows("review_label") == [("tone", "2", "0%"), ("outdated", "1", "0%")]
    link = one(page, '#bd-review_label ~ table a:-soup-contains("tone")')
    assert link["href"] == "/admin/review?range=7d&label=tone"


async def test_the_queue_reads_in_the_operators_language(make_harness: HarnessFactory) -> None:
    harness = await review_app(make_harness)
    await rate(harness, "down")
    await sign_in(harness, REVIEWER_KEY)
    for lang in ("de", "fr", "es", "ja", "ar"):
        page = await queue(harness, f"?lang={lang}")
        assert one(page, "html")["lang"] == lang
        button = one(page, '.review-actions button[value="reviewed"]').get_text(strip=True)
        assert button and button != "Mark reviewed", lang
    assert one(await queue(harness, "?lang=ar"), "html")["dir"] == "rtl"
