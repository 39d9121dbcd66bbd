"""A host site on another origin embeds the widget through embed.js, with a token."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from playwright.sync_api import FrameLocator, Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.host_site import HostSite

SECRET = "embed-js-secret-" + "z" * 48
PUSH_KEY = "push-key-for-embed-tests"


def mint(session_id: str, ttl: int = 600) -> str:
    claims = {"sub": "dana", "sid": session_id, "exp": int(time.time()) + ttl}
    return jwt.encode(claims, SECRET, algorithm="HS256")


def host_page(server_url: str, session_id: str, token: str) -> str:
    options = {"baseUrl": server_url, "sessionId": session_id, "token": token, "height": "auto"}
    return f"""<!doctype html><title>Host site</title><h1>Host site</h1>
<div id="chat" style="width:420px"></div>
<script src="{server_url}/static/embed.js"></script>
<script>
  window.received = [];
  ["ready", "task-completed", "feedback-submitted", "auth-expired"].forEach(function (name) {{
    document.addEventListener("feedback-widget:" + name, function (event) {{
      window.received.push({{type: name, detail: event.detail}});
    }});
  }});
  window.widget = FeedbackWidget.mount("#chat", {json.dumps(options)});
</script>"""


@pytest.fixture
def embedded(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> Iterator[tuple[str, str, FrameLocator]]:
    server_url = start_server(
        stream_seconds=0.3,
        embed={"allowed_origins": [host_site.origin]},
        auth={
            "mode": "token",
            "secret": SECRET,
            "api_keys": [{"name": "platform", "key": PUSH_KEY, "scopes": ["transcripts:write"]}],
        },
    )
    session_id = httpx.post(
        server_url + "/api/v1/sessions", json={"user_id": "dana"}, headers={"X-API-Key": PUSH_KEY}
    ).json()["id"]
    yield server_url, session_id, page.frame_locator('iframe[title="Chat"]')


def received(page: Page, kind: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = page.evaluate("window.received")
    return [event["detail"] for event in events if event["type"] == kind]


def send(frame: FrameLocator, text: str) -> None:
    box = frame.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def test_host_gets_events_and_the_frame_follows_the_content(
    page: Page, host_site: HostSite, embedded: tuple[str, str, FrameLocator]
) -> None:
    server_url, session_id, frame = embedded
    host_site.html = host_page(server_url, session_id, mint(session_id))
    page.goto(host_site.url)
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    iframe = page.locator('iframe[title="Chat"]')
    first_height = iframe.bounding_box()["height"]  # type: ignore[index]

    for number in range(3):
        send(frame, f"Question number {number} with enough words to take some room")
        expect(frame.get_by_role("button", name="Like", exact=True)).to_have_count(number + 1)
    page.wait_for_function("window.received.filter(e => e.type === 'task-completed').length === 3")

    dislike = frame.get_by_role("button", name="Dislike", exact=True).last
    dislike.click()
    dialog = frame.get_by_role("dialog", name="Provide Feedback")
    expect(dialog).to_be_visible()
    # The frame follows the content without feeding on itself while the modal is open.
    height = iframe.bounding_box()["height"]  # type: ignore[index]
    page.wait_for_timeout(400)
    assert iframe.bounding_box()["height"] == height  # type: ignore[index]
    dialog.get_by_role("button", name="Submit").click()
    expect(dislike).to_have_attribute("aria-pressed", "true")
    page.wait_for_function("window.received.some(e => e.type === 'feedback-submitted')")

    completed = [event["taskId"] for event in received(page, "task-completed")]
    assert received(page, "feedback-submitted") == [{"taskId": completed[-1], "rating": "down"}]
    grown = iframe.bounding_box()["height"]  # type: ignore[index]
    assert grown > first_height + 150, (first_height, grown)
    inner = frame.locator("html")
    # No inner scrollbar: the frame is as tall as what it shows.
    assert inner.evaluate("e => e.scrollHeight - e.clientHeight") <= 1


def test_expired_token_is_shown_and_recovered_with_set_token(
    page: Page, host_site: HostSite, embedded: tuple[str, str, FrameLocator]
) -> None:
    server_url, session_id, frame = embedded
    first, second = mint(session_id, ttl=3), mint(session_id)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    host_site.html = host_page(server_url, session_id, first)
    page.goto(host_site.url)
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    # The stream ends when the token expires and says so; the host hears it.
    page.wait_for_function("window.received.some(e => e.type === 'auth-expired')", timeout=10_000)

    send(frame, "Am I still signed in?")
    expect(frame.get_by_role("alert").filter(has_text="This chat link has expired")).to_be_visible()
    page.wait_for_function("window.received.some(e => e.type === 'auth-expired')")

    page.evaluate("token => window.widget.setToken(token)", second)
    expect(frame.get_by_role("alert").filter(has_text="This chat link has expired")).to_be_hidden()
    send(frame, "And now?")
    expect(frame.get_by_role("button", name="Like", exact=True)).to_have_count(1, timeout=10_000)
    # Both tokens went by postMessage: only the stream (EventSource sends no headers) has
    # one in its URL.
    carried = [url for url in requested if first in url or second in url]
    assert [url for url in carried if "/events" not in url] == []
    transcript = httpx.get(
        f"{server_url}/api/v1/sessions/{session_id}/tasks",
        headers={"Authorization": f"Bearer {mint(session_id)}"},
    ).json()
    assert [task["request_text"] for task in transcript] == ["And now?"]


def test_events_from_other_origins_are_ignored(
    page: Page, host_site: HostSite, embedded: tuple[str, str, FrameLocator]
) -> None:
    server_url, session_id, _ = embedded
    host_site.html = host_page(server_url, session_id, mint(session_id))
    page.goto(host_site.url)
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    # A message from the host's own origin pretending to be the widget changes nothing.
    fake = "{type: 'feedback-widget:feedback-submitted', detail: {taskId: 'x'}}"
    page.evaluate(f"window.postMessage({fake}, '*')")
    page.wait_for_timeout(300)
    assert received(page, "feedback-submitted") == []


def test_the_demo_host_page_embeds_a_working_chat(page: Page, server_url: str) -> None:
    page.goto(server_url + "/demo/host")
    frame = page.frame_locator('iframe[title="Chat"]')
    send(frame, "Hello from the demo host")
    like = frame.get_by_role("button", name="Like", exact=True)
    expect(like).to_be_visible(timeout=10_000)
    like.click()
    frame.get_by_role("dialog", name="Provide Feedback").get_by_role(
        "button", name="Submit"
    ).click()
    events = page.locator("#events li")
    expect(events.filter(has_text="feedback-submitted")).to_have_count(1)
    expect(events.filter(has_text="task-completed")).to_have_count(1)
    expect(events.first).to_contain_text("ready")
