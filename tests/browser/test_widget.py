from __future__ import annotations

import time

import httpx
import jwt
from playwright.sync_api import Dialog, Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.host_site import HostSite


def new_chat(page: Page, server_url: str) -> str:
    page.goto(server_url + "/")
    page.get_by_role("button", name="New chat").click()
    page.wait_for_url("**/chat/*")
    return page.url.rsplit("/", 1)[1]


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def like(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name="Like", exact=True)


def dislike(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name="Dislike", exact=True)


def send_and_wait(page: Page, text: str = "Hello widget") -> None:
    send(page, text)
    expect(like(page)).to_be_visible(timeout=10_000)


def test_response_streams_in_and_controls_appear_only_after_completion(
    page: Page, server_url: str
) -> None:
    new_chat(page, server_url)
    send(page, "Tell me something **bold**")

    reply = page.locator(".bubble.agent").last
    expect(reply).to_have_attribute("data-status", "running")
    expect(reply.locator(".markdown")).to_be_visible()  # partial text arrived while running
    assert like(page).count() == 0 and dislike(page).count() == 0

    expect(reply).to_have_attribute("data-status", "completed", timeout=10_000)
    expect(reply.locator("blockquote strong")).to_have_text("bold")
    expect(like(page)).to_have_attribute("aria-pressed", "false")
    expect(dislike(page)).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("textbox", name="Message")).to_have_value("")


def test_shift_enter_adds_a_line_instead_of_sending(page: Page, server_url: str) -> None:
    new_chat(page, server_url)
    box = page.get_by_role("textbox", name="Message")
    box.fill("line one")
    box.press("Shift+Enter")
    box.press_sequentially("line two")
    expect(box).to_have_value("line one\nline two")
    assert page.locator("li.turn").count() == 0
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".user-text")).to_have_text("line one\nline two")


def test_dislike_with_comment_locks_in_and_survives_reload(page: Page, server_url: str) -> None:
    new_chat(page, server_url)
    send_and_wait(page)

    dislike(page).click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("What did you dislike about the response?")
    comment = dialog.get_by_role("textbox", name="Comment")
    comment.fill("It only repeated me.")
    expect(dialog.locator("[data-count]")).to_have_text("20")
    dialog.get_by_role("button", name="Submit").click()

    expect(dialog).to_be_hidden()
    expect(dislike(page)).to_be_disabled()
    expect(like(page)).to_be_disabled()
    expect(dislike(page)).to_have_attribute("aria-pressed", "true")
    expect(like(page)).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("status")).to_have_text("Feedback submitted")
    expect(page.get_by_text("Feedback submitted")).to_have_count(1)
    # Focus moves from the dialog to the line that says it worked (the buttons are disabled).
    expect(page.get_by_role("status")).to_be_focused()

    page.reload()
    expect(dislike(page)).to_have_attribute("aria-pressed", "true")
    expect(dislike(page)).to_be_disabled()
    expect(like(page)).to_be_disabled()

    stored = httpx.get(server_url + "/api/v1/feedback").json()
    assert [(row["rating"], row["comment"]) for row in stored] == [("down", "It only repeated me.")]


def test_cancel_and_escape_store_nothing_and_return_focus(page: Page, server_url: str) -> None:
    new_chat(page, server_url)
    send_and_wait(page)
    dialog = page.get_by_role("dialog", name="Provide Feedback")

    like(page).click()
    expect(dialog).to_contain_text("What did you like about the response?")
    dialog.get_by_role("textbox", name="Comment").fill("never sent")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(like(page)).to_be_focused()

    dislike(page).click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(dislike(page)).to_be_focused()

    expect(like(page)).to_be_enabled()
    assert httpx.get(server_url + "/api/v1/feedback").json() == []


def test_keyboard_only_feedback(page: Page, server_url: str) -> None:
    new_chat(page, server_url)
    send_and_wait(page)
    like(page).focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    expect(dialog.get_by_role("textbox", name="Comment")).to_be_focused()
    page.keyboard.type("Good")
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Submit
    expect(dialog.get_by_role("button", name="Submit")).to_be_focused()
    page.keyboard.press("Enter")
    expect(like(page)).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("status")).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Feedback submitted")


def test_second_tab_flips_to_submitted_by_sse(page: Page, server_url: str) -> None:
    session_id = new_chat(page, server_url)
    send_and_wait(page)
    other = page.context.new_page()
    other.goto(f"{server_url}/chat/{session_id}")
    expect(like(other)).to_be_enabled()

    like(page).click()
    page.get_by_role("dialog", name="Provide Feedback").get_by_role("button", name="Submit").click()

    expect(like(other)).to_have_attribute("aria-pressed", "true", timeout=5_000)
    expect(like(other)).to_be_disabled()
    expect(dislike(other)).to_be_disabled()


def test_submission_that_fails_keeps_the_modal_open_with_the_reason(
    page: Page, server_url: str
) -> None:
    session_id = new_chat(page, server_url)
    send_and_wait(page)
    like(page).click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    expect(dialog).to_be_visible()

    # Another client submits first, while this modal is open.
    task_id = page.locator("li.turn").first.get_attribute("data-task-id")
    answer = httpx.post(
        server_url + "/api/v1/feedback",
        json={"taskId": task_id, "sessionId": session_id, "feedbackType": "down"},
    )
    assert answer.status_code == 202

    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "Feedback has already been submitted for this response."
    )
    expect(dialog).to_be_visible()


def test_failed_agent_reply_shows_error_and_no_controls(page: Page, server_url: str) -> None:
    new_chat(page, server_url)
    send(page, "/fail now")
    reply = page.locator(".bubble.agent").last
    expect(reply).to_have_attribute("data-status", "failed", timeout=10_000)
    expect(reply.get_by_role("alert")).to_contain_text("asked to fail")
    assert like(page).count() == 0


def test_no_controls_and_501_when_persistence_is_off(
    page: Page, start_server: ServerFactory
) -> None:
    server_url = start_server(service_type="memory", stream_seconds=0.2)
    new_chat(page, server_url)
    send(page, "Are you there?")
    reply = page.locator(".bubble.agent").last
    expect(reply).to_have_attribute("data-status", "completed", timeout=10_000)
    assert like(page).count() == 0 and dislike(page).count() == 0
    assert page.locator("#feedback-dialog").count() == 0

    answer = httpx.post(
        server_url + "/api/v1/feedback",
        json={"taskId": "x", "sessionId": "y", "feedbackType": "up"},
    )
    assert answer.status_code == 501
    assert answer.json()["detail"] == "Session management requires database configuration."


def test_markup_in_a_message_renders_inert(page: Page, server_url: str) -> None:
    alerts: list[Dialog] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog), dialog.dismiss()))
    new_chat(page, server_url)
    send_and_wait(page, "<img src=x onerror=alert(1)>")
    page.reload()
    expect(page.locator(".user-text")).to_have_text("<img src=x onerror=alert(1)>")
    assert page.locator("#transcript img").count() == 0
    page.wait_for_timeout(300)
    assert alerts == []


def chat_and_rate_in_frame(page: Page, host: HostSite) -> None:
    page.goto(host.url)
    frame = page.frame_locator('iframe[title="Support chat"]')
    box = frame.get_by_role("textbox", name="Message")
    box.fill("Hi from the host page")
    box.press("Enter")
    frame_like = frame.get_by_role("button", name="Like", exact=True)
    expect(frame_like).to_be_visible(timeout=10_000)  # arrived over the SSE stream
    frame_like.click()
    dialog = frame.get_by_role("dialog", name="Provide Feedback")
    dialog.get_by_role("textbox", name="Comment").fill("Works in an iframe")
    dialog.get_by_role("button", name="Submit").click()
    expect(frame_like).to_have_attribute("aria-pressed", "true")
    expect(frame_like).to_be_disabled()


def test_embed_works_inside_a_cross_origin_iframe(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> None:
    server_url = start_server(embed={"allowed_origins": [host_site.origin]})
    session_id = httpx.post(server_url + "/api/v1/sessions", json={}).json()["id"]
    host_site.iframe_src = f"{server_url}/embed/{session_id}"
    chat_and_rate_in_frame(page, host_site)
    assert page.evaluate("location.origin") != server_url


def test_token_mode_embed_needs_no_cookies(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> None:
    secret = "embed-secret-" + "x" * 40
    push_key = "push-key-0123456789"
    server_url = start_server(
        embed={"allowed_origins": [host_site.origin]},
        auth={
            "mode": "token",
            "secret": secret,
            "api_keys": [{"name": "platform", "key": push_key, "scopes": ["transcripts:write"]}],
        },
    )
    created = httpx.post(
        server_url + "/api/v1/sessions", json={"user_id": "carol"}, headers={"X-API-Key": push_key}
    )
    session_id = created.json()["id"]
    token = jwt.encode(
        {"sub": "carol", "sid": session_id, "exp": int(time.time()) + 600}, secret, "HS256"
    )
    host_site.iframe_src = f"{server_url}/embed/{session_id}?token={token}"
    chat_and_rate_in_frame(page, host_site)
    assert page.context.cookies() == []  # nothing for a browser's cookie blocking to break
    stored = httpx.get(
        server_url + "/api/v1/feedback", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [(row["user_id"], row["comment"]) for row in stored] == [("carol", "Works in an iframe")]


def test_a_host_not_in_allowed_origins_is_refused_framing(
    page: Page, server_url: str, host_site: HostSite
) -> None:
    session_id = httpx.post(server_url + "/api/v1/sessions", json={}).json()["id"]
    host_site.iframe_src = f"{server_url}/embed/{session_id}"
    page.goto(host_site.url)  # waits for the load event, the refused frame's included
    frame = page.frame_locator('iframe[title="Support chat"]')
    assert frame.get_by_role("textbox", name="Message").count() == 0  # the frame stays blank
    policy = httpx.get(f"{server_url}/embed/{session_id}").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and host_site.origin not in policy


def test_load_earlier_messages_keeps_the_reader_in_place(
    page: Page, start_server: ServerFactory
) -> None:
    base = start_server(widget={"turns_per_page": 10})
    with httpx.Client(base_url=base) as api:
        session_id = api.post("/api/v1/sessions", json={}).json()["id"]
        for n in range(25):
            body = {
                "id": f"t{n:02d}",
                "request_text": f"Question {n}",
                "status": "completed",
                "response_text": f"Answer number {n}, with a little more text to read.",
            }
            assert api.post(f"/api/v1/sessions/{session_id}/tasks", json=body).status_code == 201
    page.set_viewport_size({"width": 900, "height": 600})
    page.goto(f"{base}/chat/{session_id}")
    expect(page.locator("li.turn")).to_have_count(10)
    expect(page.locator("li.turn").first).to_have_attribute("data-task-id", "t15")

    load = page.get_by_role("link", name="Load earlier messages")
    load.scroll_into_view_if_needed()
    anchor = page.locator("#task-t15")
    before = anchor.bounding_box()
    assert before is not None
    load.click()
    expect(page.locator("li.turn")).to_have_count(20)
    expect(page.locator("li.turn").first).to_have_attribute("data-task-id", "t05")
    after = anchor.bounding_box()
    assert after is not None
    # The turn the reader was looking at stays where it was on screen.
    assert abs(after["y"] - before["y"]) < 2, (before, after)

    page.get_by_role("link", name="Load earlier messages").click()
    expect(page.locator("li.turn")).to_have_count(25)
    expect(page.get_by_role("link", name="Load earlier messages")).to_have_count(0)
