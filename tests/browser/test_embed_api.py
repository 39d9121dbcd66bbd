"""The host API of embed.js, from a host page on another origin: the token by postMessage,
the launcher (click, keyboard, script, remembered per page), events, setLocale and setTheme,
a panel that fills a phone's screen, and a themed widget that axe still passes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.conftest import ServerFactory
from tests.browser.host_site import HostSite
from tests.browser.test_embed_js import PUSH_KEY, SECRET, mint, send
from tests.browser.test_widget import new_chat
from tests.support.web_checks import axe_violations, describe

EVENTS = ["ready", "task-completed", "feedback-submitted", "auth-expired", "open", "close"]


def host_page(server_url: str, options: dict[str, Any]) -> str:
    return f"""<!doctype html><html lang="en"><title>Host site</title><h1>Host site</h1>
<div id="chat"></div>
<script src="{server_url}/static/embed.js"></script>
<script>
  window.received = [];
  window.widget = FeedbackWidget.mount("#chat", {json.dumps(options)});
  {json.dumps(EVENTS)}.forEach(function (name) {{
    window.widget.on(name, function (detail) {{
      window.received.push({{type: name, detail: detail}});
    }});
  }});
</script></html>"""


def count(page: Page, kind: str) -> int:
    events: list[dict[str, Any]] = page.evaluate("window.received")
    return len([event for event in events if event["type"] == kind])


@pytest.fixture
def token_server(start_server: ServerFactory, host_site: HostSite) -> Iterator[tuple[str, str]]:
    server_url = start_server(
        stream_seconds=0.2,
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
    yield server_url, session_id


def frame_body(page: Page) -> Any:
    frame = page.frame_locator('iframe[title="Chat"]')
    return frame.locator("body")


def test_the_token_goes_by_post_message_and_the_host_api_works(
    page: Page, host_site: HostSite, token_server: tuple[str, str]
) -> None:
    server_url, session_id = token_server
    token = mint(session_id)
    requested: list[str] = []

    def watch(request: Request) -> None:
        requested.append(request.url)

    page.on("request", watch)
    options = {"baseUrl": server_url, "sessionId": session_id, "token": token, "height": "600px"}
    host_site.html = host_page(server_url, options)
    page.goto(host_site.url)
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    frame = page.frame_locator('iframe[title="Chat"]')
    send(frame, "Hello over postMessage")
    expect(frame.get_by_role("button", name="Like", exact=True)).to_have_count(1)
    page.wait_for_function("window.received.some(e => e.type === 'task-completed')")

    src = page.locator('iframe[title="Chat"]').get_attribute("src") or ""
    assert token not in src and "/embed/" in src
    # The page, its chat and every post went without the token in the URL; the stream alone
    # carries it (EventSource cannot send headers).
    leaked = [url for url in requested if token in url and "/events" not in url]
    assert leaked == []
    assert page.evaluate("window.received.find(e => e.type === 'ready').detail") == {
        "sessionId": session_id
    }

    # setTheme: the scheme and the variables, a hostile one ignored.
    page.evaluate(
        "widget.setTheme('dark', {accent: '#ffd166', text: 'red; } body { display: none'})"
    )
    body = frame_body(page)
    expect(body).to_have_class("embed theme-dark")
    accent = "getComputedStyle(document.body).getPropertyValue('--accent').trim()"
    text = "getComputedStyle(document.body).getPropertyValue('--text').trim()"
    expect(body).to_have_js_property("className", "embed theme-dark")
    assert body.evaluate(f"() => {accent}") == "#ffd166"
    assert body.evaluate(f"() => {text}") == "#e6e9ef"  # the dark scheme's own

    # setLocale: the frame loads again in that language, and the token follows by postMessage.
    page.evaluate("widget.setLocale('de')")
    page.wait_for_function("window.received.filter(e => e.type === 'ready').length === 2")
    assert "lang=de" in page.frames[1].url and token not in page.frames[1].url
    expect(frame.locator(".user-text", has_text="Hello over postMessage")).to_be_visible()
    expect(frame_body(page)).to_have_class("embed theme-dark")  # the theme stays
    assert [url for url in requested if token in url and "/events" not in url] == []


def test_the_launcher_opens_and_closes_by_click_keyboard_and_script(
    page: Page, host_site: HostSite, token_server: tuple[str, str]
) -> None:
    server_url, session_id = token_server
    options = {
        "baseUrl": server_url,
        "sessionId": session_id,
        "token": mint(session_id),
        "launcher": True,
    }
    host_site.html = host_page(server_url, options)
    page.goto(host_site.url)
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    launcher = page.get_by_role("button", name="Chat")
    iframe = page.locator('iframe[title="Chat"]')
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(iframe).to_be_hidden()

    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(iframe).to_be_visible()
    frame = page.frame_locator('iframe[title="Chat"]')
    # Opening puts the reader in the composer; Escape there closes and returns focus.
    expect(frame.get_by_role("textbox", name="Message")).to_be_focused()
    send(frame, "From the launcher")
    expect(frame.get_by_role("button", name="Like", exact=True)).to_have_count(1)
    frame.get_by_role("textbox", name="Message").press("Escape")
    expect(iframe).to_be_hidden()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()
    assert (count(page, "open"), count(page, "close")) == (1, 1)

    # By keyboard: the focused button opens on Enter and closes on Space.
    page.keyboard.press("Enter")
    expect(iframe).to_be_visible()
    launcher.focus()
    page.keyboard.press("Space")
    expect(iframe).to_be_hidden()

    # From script; the state is remembered for this page across a reload.
    page.evaluate("widget.open()")
    expect(iframe).to_be_visible()
    page.reload()
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    expect(page.locator('iframe[title="Chat"]')).to_be_visible()
    expect(page.get_by_role("button", name="Chat")).to_have_attribute("aria-expanded", "true")
    page.evaluate("widget.close()")
    expect(page.locator('iframe[title="Chat"]')).to_be_hidden()
    page.reload()
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    expect(page.locator('iframe[title="Chat"]')).to_be_hidden()
    assert page.evaluate("widget.isOpen()") is False


def test_on_a_phone_the_panel_fills_the_screen(
    page: Page, host_site: HostSite, token_server: tuple[str, str]
) -> None:
    server_url, session_id = token_server
    page.set_viewport_size({"width": 360, "height": 640})
    options = {
        "baseUrl": server_url,
        "sessionId": session_id,
        "token": mint(session_id),
        "launcher": True,
    }
    host_site.html = host_page(server_url, options) + (
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
    )
    page.goto(host_site.url)
    page.wait_for_function("window.received.some(e => e.type === 'ready')")
    page.get_by_role("button", name="Chat").click()
    iframe = page.locator('iframe[title="Chat"]')
    expect(iframe).to_be_visible()
    assert iframe.bounding_box() == {"x": 0, "y": 0, "width": 360, "height": 640}
    composer = page.frame_locator('iframe[title="Chat"]').get_by_role("textbox", name="Message")
    box = composer.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 640
    # Escape closes it again (the launcher is hidden while the panel covers the screen).
    composer.press("Escape")
    expect(iframe).to_be_hidden()
    expect(page.get_by_role("button", name="Chat")).to_be_focused()


SAMPLE_THEME = {
    "accent": "#0b6e4f",
    "accent-text": "#ffffff",
    "user-bubble": "#0b6e4f",
    "user-text": "#ffffff",
    "bg": "#fbf8f3",
    "text": "#222222",
    "muted": "#5c5346",
    "radius": "6px",
    "space": "0.85rem",
    "font": '"Atkinson Hyperlegible", Georgia, serif',
}


def test_a_themed_widget_still_passes_axe(browser: Browser, start_server: ServerFactory) -> None:
    server_url = start_server(widget={"theme": "light", "theme_vars": SAMPLE_THEME})
    # axe goes in as an inline script, which our CSP rightly refuses. (The host API test
    # shows theme variables apply under the CSP.)
    page = browser.new_context(bypass_csp=True).new_page()
    session_id = new_chat(page, server_url)
    page.goto(f"{server_url}/embed/{session_id}")
    page.get_by_role("textbox", name="Message").fill("A themed question")
    page.get_by_role("textbox", name="Message").press("Enter")
    expect(page.locator(".bubble.agent[data-status=completed]")).to_have_count(1, timeout=15_000)
    accent = "getComputedStyle(document.body).getPropertyValue('--accent').trim()"
    assert page.evaluate(accent) == "#0b6e4f"
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert font.startswith('"Atkinson Hyperlegible"')
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.set_viewport_size({"width": 360, "height": 780})
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.get_by_role("button", name="Dislike", exact=True).click()
    expect(page.get_by_role("dialog", name="Provide Feedback")).to_be_visible()
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    page.context.close()
