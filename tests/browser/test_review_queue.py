"""The review queue in Chromium, against a real server: triage by keyboard alone, a corrected
answer and its preview, a second reviewer's conflict (two browsers), live arrivals, axe at
both widths, html-validate on every state served; and docs/review-queue.png."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import ServerFactory
from tests.console.test_review import LOOKER_KEY, REVIEW_KEYS, REVIEWER_KEY, SECOND_KEY
from tests.support import ROOT
from tests.support.console import console_config
from tests.support.web_checks import axe_violations, describe, html_validate

WIDTHS = {"1280": (1280, 900), "360": (360, 780)}
CODE_REPLY = "Try this:\n\n```python\nreset_password(user)\n```\n\nIt sends a link."


def review_server(start_server: ServerFactory) -> str:
    return start_server(**console_config(auth={"mode": "dev", "api_keys": REVIEW_KEYS}))


def give(
    server: str,
    rating: str,
    *,
    comment: str | None = None,
    reasons: list[str] | None = None,
    earlier: tuple[str, ...] = (),
    request: str = "How do I reset my password?",
    response: str = CODE_REPLY,
    **task: Any,
) -> str:
    """A pushed chat (earlier turns, then the rated one) rated through the API; its id."""
    with httpx.Client(base_url=server, timeout=10) as client:
        session_id = client.post("/api/v1/sessions", json={"agent_id": "support"}).json()["id"]
        for text in earlier:
            client.post(
                f"/api/v1/sessions/{session_id}/tasks",
                json={"request_text": text, "status": "completed", "response_text": "Sure."},
            )
        task_id = client.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={
                "request_text": request,
                "status": "completed",
                "response_text": response,
                **task,
            },
        ).json()["id"]
        body: dict[str, Any] = {"taskId": task_id, "sessionId": session_id, "feedbackType": rating}
        if comment:
            body["feedbackText"] = comment
        if reasons:
            body["reasons"] = reasons
        answer = client.post("/api/v1/feedback", json=body)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])


def sign_in(page: Page, server: str, key: str = REVIEWER_KEY, path: str = "/admin/review") -> None:
    page.goto(server + path)
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def open_item(page: Page) -> str:
    return str(
        page.locator('#queue-items a[aria-current="true"]').locator("..").get_attribute("data-id")
    )


def count(page: Page, status: str):  # type: ignore[no-untyped-def]
    return page.locator(f'#review-counts [data-count="{status}"]')


def test_triage_a_set_of_items_by_keyboard_alone(page: Page, start_server: ServerFactory) -> None:
    server = review_server(start_server)
    ids = [give(server, "down", comment=f"Item {n}") for n in range(4)]
    sign_in(page, server)
    expect(count(page, "open")).to_have_text("4")
    assert open_item(page) == ids[0]

    page.keyboard.press("j")
    expect(page).to_have_url(f"{server}/admin/review?item={ids[1]}")
    page.keyboard.press("k")
    expect(page).to_have_url(f"{server}/admin/review?item={ids[0]}")

    # Labels by number, then Mark reviewed: on to the next item.
    page.keyboard.press("1")
    page.keyboard.press("3")
    expect(page.get_by_role("checkbox", name="hallucination")).to_be_checked()
    expect(page.get_by_role("checkbox", name="tone")).to_be_checked()
    expect(page.locator("#review-announcer")).to_have_text("tone: on")
    page.keyboard.press("r")
    expect(page.locator(".done")).to_have_text("Marked reviewed. This is the next item.")
    assert open_item(page) == ids[1]
    expect(count(page, "reviewed")).to_have_text("1")

    # Dismiss.
    page.keyboard.press("d")
    expect(page.locator(".done")).to_have_text("Dismissed. This is the next item.")
    assert open_item(page) == ids[2]

    # c focuses the corrected answer; keys typed there are text, not shortcuts; Escape
    # leaves the field and the keys work again.
    page.keyboard.press("c")
    correction = page.get_by_role("textbox", name="Corrected answer")
    expect(correction).to_be_focused()
    page.keyboard.type("Just do it: reset, then dismiss.")
    expect(correction).to_have_value("Just do it: reset, then dismiss.")
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    expect(page.get_by_role("textbox", name="Note")).to_be_focused()
    page.keyboard.type("rd")
    page.keyboard.press("Escape")
    assert open_item(page) == ids[2]  # "r" and "d" in the note acted on nothing
    page.keyboard.press("r")
    expect(page.locator(".done")).to_be_visible()
    assert open_item(page) == ids[3]

    # ? opens the help, a real dialog; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("row")).to_have_count(10)  # the header and nine keys
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    expect(count(page, "open")).to_have_text("1")
    page.goto(f"{server}/admin/review?status=reviewed&item={ids[2]}")
    expect(page.get_by_role("textbox", name="Corrected answer")).to_have_value(
        "Just do it: reset, then dismiss."
    )
    expect(page.get_by_role("textbox", name="Note")).to_have_value("rd")
    history = page.locator(".history-items > li")
    expect(history).to_have_count(1)
    expect(history).to_contain_text("rita")

    # The shortcuts can be turned off (WCAG 2.1.4), and stay off.
    page.get_by_role("button", name="Keyboard shortcuts").click()
    page.get_by_role("checkbox", name="Single-key shortcuts on").uncheck()
    page.get_by_role("button", name="Close").click()
    page.keyboard.press("j")
    page.reload()
    page.keyboard.press("r")
    expect(page.locator(".history-items > li")).to_have_count(1)


def test_write_a_correction_and_preview_it(page: Page, start_server: ServerFactory) -> None:
    server = review_server(start_server)
    give(server, "down", comment="No code at all", earlier=("Hi", "What can you do?"))
    sign_in(page, server)
    # The conversation so far is there, folded away; the rated reply as the user saw it.
    earlier = page.locator("details.earlier-turns")
    expect(earlier.locator("summary")).to_have_text("2 earlier turns")
    expect(earlier.get_by_text("What can you do?")).to_be_hidden()
    earlier.locator("summary").click()
    expect(earlier.get_by_text("What can you do?")).to_be_visible()
    expect(page.locator("li.turn.rated .code-block")).to_be_visible()

    box = page.get_by_role("textbox", name="Corrected answer")
    box.fill("Use **Settings → Security**:\n\n```bash\nfw reset --user ann\n```")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#correction-preview")
    expect(preview.locator("strong")).to_have_text("Settings → Security")
    expect(preview.locator(".code-block .copy")).to_have_text("Copy")
    expect(page).to_have_url(f"{server}/admin/review")  # htmx: no page load, nothing stored
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".done")).to_have_text("Saved.")
    expect(page.locator(".history-items")).to_contain_text("Wrote the corrected answer")


def test_a_second_reviewer_sees_the_conflict(browser: Browser, start_server: ServerFactory) -> None:
    server = review_server(start_server)
    item = give(server, "down", comment="Outdated steps")
    contexts: list[BrowserContext] = [browser.new_context() for _ in range(2)]
    rita, sam = (context.new_page() for context in contexts)
    sign_in(rita, server)
    sign_in(sam, server, SECOND_KEY)
    sam.get_by_role("textbox", name="Corrected answer").fill("Sam's careful answer.")
    sam.get_by_role("checkbox", name="outdated").check()

    rita.get_by_role("checkbox", name="tone").check()
    rita.get_by_role("button", name="Dismiss").click()
    expect(rita.locator(".done")).to_be_visible()

    # Sam's page is told, live, and keeps what he wrote.
    notice = sam.locator("#item-notice")
    expect(notice).to_contain_text("rita dismissed this item while you had it open.")
    expect(sam.get_by_role("textbox", name="Corrected answer")).to_have_value(
        "Sam's careful answer."
    )
    sam.get_by_role("button", name="Mark reviewed").click()
    conflict = sam.get_by_role("alert").filter(has_text="someone else changed this item")
    expect(conflict).to_be_visible()
    expect(conflict.locator('[data-conflict="status"]')).to_have_text("Dismissed")
    expect(conflict.locator('[data-conflict="labels"]')).to_have_text("tone")
    expect(sam.get_by_role("textbox", name="Corrected answer")).to_have_value(
        "Sam's careful answer."
    )
    expect(sam.get_by_role("checkbox", name="outdated")).to_be_checked()
    # Sending again, having seen it, is a decision: it goes through.
    sam.get_by_role("button", name="Mark reviewed").click()
    expect(sam.locator(".done")).to_be_visible()
    sam.goto(f"{server}/admin/review?status=all&item={item}")
    expect(sam.locator(".history-items > li")).to_have_count(2)
    expect(sam.get_by_role("textbox", name="Corrected answer")).to_have_value(
        "Sam's careful answer."
    )
    for context in contexts:
        context.close()


def test_new_items_arrive_live(page: Page, start_server: ServerFactory) -> None:
    server = review_server(start_server)
    first = give(server, "down", comment="First")
    sign_in(page, server)
    expect(page.locator("#queue-items .queue-item")).to_have_count(1)
    page.get_by_role("textbox", name="Note").fill("Half written")
    fresh = give(server, "down", comment="Arrived while the queue was open")
    expect(page.locator("#queue-items .queue-item")).to_have_count(2)
    expect(page.locator("#queue-items .queue-item").last).to_have_attribute("data-id", fresh)
    expect(count(page, "open")).to_have_text("2")
    # The open item and the text being written stay as they were.
    assert open_item(page) == first
    expect(page.get_by_role("textbox", name="Note")).to_have_value("Half written")


def walk(context: BrowserContext, server: str) -> dict[str, list[dict[str, Any]]]:
    """Every state of the page, checked by axe (and for sideways scrolling)."""
    found: dict[str, list[dict[str, Any]]] = {}
    page = context.new_page()
    width = page.viewport_size["width"] if page.viewport_size else 1280

    def check(state: str) -> None:
        found[state] = axe_violations(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        if overflow > 0:
            found[state].append(
                {"id": "wider-than-viewport", "impact": "serious", "nodes": [],
                 "help": f"the page is {overflow} px wider than the viewport at {width}"}
            )  # fmt: skip

    sign_in(page, server)
    check("queue")
    page.locator("details.earlier-turns summary").click()
    page.get_by_role("textbox", name="Corrected answer").fill("A **better** answer.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#correction-preview strong")).to_be_visible()
    check("earlier turns open, preview shown")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    check("help dialog")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.locator(".done")).to_be_visible()
    check("after an action")
    page.goto(server + "/admin/review?lang=ar")
    check("right to left")
    page.goto(server + "/admin/review?status=dismissed")
    check("empty view")
    page.goto(server + "/admin")
    check("dashboard with review breakdowns")
    page.close()
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_no_axe_violations(
    browser: Browser, start_server: ServerFactory, width: str, scheme: str
) -> None:
    server = review_server(start_server)
    give(server, "down", comment="Wrong", reasons=["Incorrect"], earlier=("Hello",))
    give(server, "up", comment="Good but slow")
    w, h = WIDTHS[width]
    context = browser.new_context(
        viewport={"width": w, "height": h},
        color_scheme=scheme,  # type: ignore[arg-type]
        bypass_csp=True,  # axe goes in as an inline script, which our CSP rightly refuses
    )
    found = walk(context, server)
    context.close()
    failing = {state: describe(v) for state, v in found.items() if v}
    assert not failing, "\n\n".join(f"[{state}]\n{text}" for state, text in failing.items())


def test_every_state_served_is_valid_html(start_server: ServerFactory, tmp_path: Path) -> None:
    server = review_server(start_server)
    item = give(server, "down", comment="Wrong", reasons=["Incorrect"], earlier=("Hello",))
    pages: dict[str, str] = {}
    with (
        httpx.Client(base_url=server, timeout=10) as rita,
        httpx.Client(base_url=server, timeout=10) as looker,
    ):
        assert rita.post("/admin/login", data={"api_key": REVIEWER_KEY}).status_code == 303
        assert looker.post("/admin/login", data={"api_key": LOOKER_KEY}).status_code == 303
        pages["queue"] = rita.get("/admin/review").text
        pages["read-only"] = looker.get("/admin/review").text
        form = {"version": "0", "correction": "**Bold**", "note": "", "labels": ["tone"]}
        pages["no-js preview"] = rita.post(
            f"/admin/review/{item}", data={**form, "action": "preview"}
        ).text
        assert (
            rita.post(f"/admin/review/{item}", data={**form, "action": "save"}).status_code == 303
        )
        conflict = rita.post(f"/admin/review/{item}", data={**form, "action": "reviewed"})
        assert conflict.status_code == 409
        pages["conflict"] = conflict.text
        pages["with history"] = rita.get(f"/admin/review?item={item}").text
        pages["empty"] = rita.get("/admin/review?status=dismissed").text
        pages["dashboard"] = rita.get("/admin").text
    findings = html_validate(pages, tmp_path / "pages")
    assert findings == {}, findings


def test_review_queue_screenshot(
    browser: Browser, start_server: ServerFactory, tmp_path: Path
) -> None:
    """`make screenshots` refreshes docs/review-queue.png."""
    server = review_server(start_server)
    give(server, "down", comment="It told me to use a menu that does not exist.",
         reasons=["Incorrect"], earlier=("Hi!", "Can I change my email?"), model="llama-3.1-8b",
         prompt_version="v3")  # fmt: skip
    give(server, "up", comment="Worked, but I had to ask twice.", model="gpt-4o-mini")
    give(server, "down", reasons=["Too long"], model="llama-3.1-8b")
    give(server, "down", comment="Outdated pricing", model="gpt-4o-mini")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page, server)
    page.get_by_role("checkbox", name="hallucination").check()
    page.get_by_role("textbox", name="Corrected answer").fill(
        "Open **Settings → Account**, choose *Email*, and confirm the link we send you."
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#correction-preview strong")).to_be_visible()
    target = Path(os.environ.get("FEEDBACK_WIDGET_SCREENSHOTS") or tmp_path)
    target = target if target.is_absolute() else ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    path = target / "review-queue.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    page.close()
