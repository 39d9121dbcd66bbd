"""An XSS corpus through the real pages: messages, agent Markdown and comments never execute.

Every payload tries to set `window.__xss`; the canary must stay unset. The DOM is checked too,
so the test does not rest on the Content-Security-Policy alone.
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

HIT = "window.__xss=1"
PAYLOADS = [
    f"<script>{HIT}</script>",
    f"<img src=x onerror={HIT}>",
    f'<img src="x" onerror="{HIT}">',
    f"<svg onload={HIT}>",
    f"<svg><script>{HIT}</script></svg>",
    f"<body onload={HIT}>",
    f'<iframe src="javascript:{HIT}"></iframe>',
    f'<iframe srcdoc="<script>parent.{HIT}</script>"></iframe>',
    f'<a href="javascript:{HIT}">click</a>',
    f"[click](javascript:{HIT})",
    f"[click](JAVASCRIPT:{HIT})",
    f"[click](  javascript:{HIT})",
    f"[click](jav&#x09;ascript:{HIT})",
    f"![img](javascript:{HIT})",
    f"<details open ontoggle={HIT}>",
    f"<input autofocus onfocus={HIT}>",
    f"<video><source onerror={HIT}></video>",
    f"<audio src=x onerror={HIT}>",
    f"<math><mtext><img src=x onerror={HIT}></mtext></math>",
    f'<object data="javascript:{HIT}"></object>',
    f'<embed src="javascript:{HIT}">',
    f'<form action="javascript:{HIT}"><button>go</button></form>',
    f'<div style="background:url(javascript:{HIT})">x</div>',
    f"<marquee onstart={HIT}>x</marquee>",
    f'"><script>{HIT}</script>',
    f"'><img src=x onerror={HIT}>",
    f"</textarea><script>{HIT}</script>",
    f"<scr<script>ipt>{HIT}</scr</script>ipt>",
    f"<img src=x oneonerrorrror={HIT}>",
    f'<a href="data:text/html,<script>{HIT}</script>">x</a>',
    "[x](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)",
    f'<div hx-get="/" hx-trigger="load" hx-on::after-request="{HIT}">x</div>',
    f'<span hx-on:click="{HIT}" id=xss-click>click me</span>',
    f"```html\n<script>{HIT}</script>\n```",
    f'<base href="javascript:{HIT}//">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{HIT}">',
]


def assert_inert(page: Page) -> None:
    page.wait_for_timeout(500)
    assert page.evaluate("window.__xss") is None
    # Everything that came from a payload lives in user text or rendered Markdown.
    payload_html = page.locator("#transcript .user-text, #transcript .markdown")
    dangerous = "script, iframe, object, embed, img, svg, form, base, meta, input, video, audio"
    assert payload_html.locator(dangerous).count() == 0
    attributes = page.locator("#transcript").evaluate(
        """root => [...root.querySelectorAll('*')].flatMap(e => [...e.attributes])
             .filter(a => a.name.startsWith('on') || a.name.startsWith('hx-on')
                          || /^\\s*(javascript|data):/i.test(a.value))
             .map(a => a.name + '=' + a.value)"""
    )
    assert attributes == []


def push_turns(server_url: str, session_id: str, payloads: list[str]) -> None:
    for payload in payloads:
        answer = httpx.post(
            f"{server_url}/api/v1/sessions/{session_id}/tasks",
            json={"request_text": payload, "status": "completed", "response_text": payload},
        )
        assert answer.status_code == 201


def test_corpus_in_messages_and_agent_markdown(page: Page, server_url: str) -> None:
    assert len(PAYLOADS) >= 30
    session_id = httpx.post(server_url + "/api/v1/sessions", json={}).json()["id"]
    half = len(PAYLOADS) // 2
    push_turns(server_url, session_id, PAYLOADS[:half])  # rendered with the page
    page.goto(f"{server_url}/chat/{session_id}")
    expect(page.locator("li.turn")).to_have_count(half)
    push_turns(server_url, session_id, PAYLOADS[half:])  # swapped in live over SSE
    expect(page.locator("li.turn")).to_have_count(len(PAYLOADS))
    if page.locator("#xss-click").count():
        page.locator("#xss-click").click()  # an hx-on handler, if one survived, runs now
    for link in page.locator("#transcript a").all():
        link.click(modifiers=["Control"])  # open-in-background: runs a javascript: URL if any
    assert_inert(page)
    # The text itself is shown, not swallowed.
    expect(page.locator(".user-text").first).to_have_text(PAYLOADS[0])


def test_corpus_typed_into_the_message_box_and_the_comment_modal(
    page: Page, server_url: str
) -> None:
    page.goto(server_url + "/")
    page.get_by_role("button", name="New chat").click()
    typed = PAYLOADS[:6]
    box = page.get_by_role("textbox", name="Message")
    for number, payload in enumerate(typed, start=1):
        box.fill(payload)
        box.press("Enter")
        expect(page.get_by_role("button", name="Like", exact=True)).to_have_count(
            number, timeout=10_000
        )
    for number, payload in enumerate(typed):
        page.get_by_role("button", name="Dislike", exact=True).nth(number).click()
        dialog = page.get_by_role("dialog", name="Provide Feedback")
        dialog.get_by_role("textbox", name="Comment").fill(payload)
        dialog.get_by_role("button", name="Submit").click()
        expect(dialog).to_be_hidden()
    assert_inert(page)
    page.reload()
    assert_inert(page)
    comments = [row["comment"] for row in httpx.get(server_url + "/api/v1/feedback").json()]
    assert sorted(comments) == sorted(typed)  # stored exactly as typed, never executed
