"""One channel per update, in Chromium: every change to a chat (a turn, its reply, a stop, a
retry, feedback) reaches every open page of it, the one that made it included, over the chat's
stream only. Each shows once, also when the stream replays what a page already shows."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_widget import like, new_chat, send, send_and_wait

# Counts the turns the stream brought, whatever the page then did with them.
COUNT_STREAMED_TURNS = """
window.streamedTurns = 0;
document.addEventListener("htmx:sseBeforeMessage", function (event) {
  if (event.target.id === "transcript") window.streamedTurns += 1;
});
"""

# Keeps the page's EventSource at hand, to drop its connection.
KEEP_THE_STREAM = """
document.addEventListener("htmx:sseOpen", function (event) {
  window.liveSource = event.detail.source;
});
"""


def stream_cursor(page: Page) -> str:
    """The position the page's stream resumes from (`after=`)."""
    url = page.locator("[sse-connect]").get_attribute("sse-connect")
    assert url is not None
    return parse_qs(urlsplit(url).query)["after"][0]


def test_each_message_shows_once_and_the_composer_is_ready_for_the_next(
    page: Page, start_server: ServerFactory
) -> None:
    server_url = start_server(stream_seconds=0.3)
    new_chat(page, server_url)
    box = page.get_by_role("textbox", name="Message")
    for number in range(3):
        send(page, f"Message {number}")
        expect(page.locator(".user-text")).to_have_count(number + 1)
        expect(box).to_have_value("")
        expect(box).to_be_focused()
    expect(page.locator(".bubble.agent[data-status=completed]")).to_have_count(3)
    expect(page.locator("li.turn")).to_have_count(3)
    expect(page.locator(".user-text")).to_have_text(["Message 0", "Message 1", "Message 2"])


def test_two_tabs_see_each_others_turns_and_feedback(page: Page, server_url: str) -> None:
    session_id = new_chat(page, server_url)
    other = page.context.new_page()
    other.goto(f"{server_url}/chat/{session_id}")
    expect(other.get_by_role("textbox", name="Message")).to_be_visible()

    send_and_wait(page, "From the first tab")
    expect(like(other)).to_be_visible()
    send(other, "From the second tab")
    for tab in (page, other):
        expect(tab.locator(".bubble.agent[data-status=completed]")).to_have_count(2)
        expect(tab.locator(".user-text")).to_have_text(
            ["From the first tab", "From the second tab"]
        )

    like(other).last.click()
    dialog = other.get_by_role("dialog", name="Provide Feedback")
    dialog.get_by_role("button", name="Submit").click()
    for tab in (page, other):
        expect(like(tab).last).to_have_attribute("aria-pressed", "true")
        expect(like(tab).last).to_be_disabled()
        expect(tab.get_by_text("Feedback submitted")).to_have_count(1)
    expect(like(page).first).to_be_enabled()


@pytest.mark.parametrize("move_before", [True, False], ids=["moveBefore", "without moveBefore"])
def test_a_turn_the_page_already_shows_is_not_added_again_by_the_replay(
    page: Page, server_url: str, move_before: bool
) -> None:
    """A page is rendered from the database, and its stream replays what came after the
    position read just before: a turn stored between the two is in both. Here that window is
    made wide: the page's position is rewound to before the turn. (htmx keeps the page's turn
    with Element.moveBefore where the browser has it, Chromium's; else by moving it.)"""
    session_id = new_chat(page, server_url)
    before = stream_cursor(page)
    send_and_wait(page, "Stored before the page was rendered")

    def rewind(route: Route) -> None:
        response = route.fetch()
        html = re.sub(r'after=[^&"]+', f"after={before}", response.text())
        route.fulfill(response=response, body=html)

    other = page.context.new_page()
    other.add_init_script(COUNT_STREAMED_TURNS)
    if not move_before:
        other.add_init_script("delete Element.prototype.moveBefore;")
    other.route(f"**/chat/{session_id}", rewind)
    other.goto(f"{server_url}/chat/{session_id}")
    assert other.evaluate("typeof Element.prototype.moveBefore") == (
        "function" if move_before else "undefined"
    )
    other.wait_for_function("window.streamedTurns === 1")  # the replay brought the turn again
    expect(other.locator("li.turn")).to_have_count(1)
    expect(like(other)).to_have_count(1)
    # Still live: the next turn is added, once.
    send(other, "And the next one")
    expect(other.locator(".user-text")).to_have_text(
        ["Stored before the page was rendered", "And the next one"]
    )
    expect(page.locator("li.turn")).to_have_count(2)


def test_a_stream_that_reconnects_resumes_without_losing_or_repeating_a_turn(
    page: Page, server_url: str
) -> None:
    page.add_init_script(COUNT_STREAMED_TURNS + KEEP_THE_STREAM)
    session_id = new_chat(page, server_url)
    page.wait_for_function("window.liveSource && window.liveSource.readyState === 1")
    send_and_wait(page, "Before the drop")
    page.evaluate("window.liveSource.close()")  # the connection drops

    other = page.context.new_page()
    other.goto(f"{server_url}/chat/{session_id}")
    send(other, "While the first tab was away")
    expect(other.locator(".bubble.agent[data-status=completed]")).to_have_count(2)
    expect(page.locator("li.turn")).to_have_count(1)  # it heard nothing

    # htmx's SSE extension reopens a failed stream, from the last event the page saw.
    page.evaluate("window.liveSource.dispatchEvent(new Event('error'))")
    expect(page.locator(".user-text")).to_have_text(
        ["Before the drop", "While the first tab was away"]
    )
    expect(page.locator(".bubble.agent[data-status=completed]")).to_have_count(2)
    assert page.evaluate("window.streamedTurns") == 2
    expect(page.locator("li.turn")).to_have_count(2)


def test_without_javascript_the_forms_post_and_come_back_to_the_page(
    browser: Browser, server_url: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        session_id = new_chat(page, server_url)
        done = {"request_text": "Answered already", "status": "completed", "response_text": "Yes"}
        assert page.request.post(f"{server_url}/api/v1/sessions/{session_id}/tasks", data=done).ok
        page.get_by_role("textbox", name="Message").fill("No script here")
        with page.expect_navigation() as sent:
            page.get_by_role("button", name="Send").click()
        # The 303 brought the browser back to the chat's page, which shows the new turn.
        assert sent.value is not None and sent.value.url == f"{server_url}/chat/{session_id}"
        expect(page.locator(".user-text")).to_have_text(["Answered already", "No script here"])

        with page.expect_navigation():
            like(page).first.click()  # without the dialog: the button itself posts the rating
        expect(like(page).first).to_have_attribute("aria-pressed", "true")
        expect(like(page).first).to_be_disabled()
        expect(page.get_by_text("Feedback submitted")).to_have_count(1)
    finally:
        context.close()
