"""WCAG 2.2 AA, checked the way a host site checks what it embeds: axe-core on every page state
of the widget and the console, at 1280 and 360 px, in the light and the dark colour scheme;
zero violations, no rule switched off."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_console import give
from tests.browser.test_widget import new_chat, send
from tests.support.console import OPERATOR_KEY, console_config
from tests.support.web_checks import axe_violations, describe

WIDTHS = {"1280": (1280, 860), "360": (360, 780)}
SCHEMES = ("light", "dark")
# Code, a table and inline code: what makes replies scroll sideways and shade text.
RICH_MESSAGE = """Here is `inline code`, a block and a table:

```python
def notebook(pages: int) -> str:
    return "A ruled notebook with a line long enough to scroll sideways on a phone" * pages
```

| Item | Description | Price |
| --- | --- | --- |
| Notebook | A ruled notebook for meeting notes | 4.50 |
| Fountain pen | Refillable, with a fine nib | 18.00 |"""

Check = Callable[[str], None]


def completed(page: Page, turns: int) -> None:
    expect(page.locator(".bubble.agent[data-status=completed]")).to_have_count(
        turns, timeout=15_000
    )


def widget_states(page: Page, server: str, check: Check) -> str:
    """The widget's states, each checked; the chat's id."""
    session_id = new_chat(page, server)
    send(page, RICH_MESSAGE)
    completed(page, 1)
    send(page, "And a second question, to make it a conversation.")
    completed(page, 2)
    check("chat with code and a table")

    page.get_by_role("button", name="Like", exact=True).first.click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    expect(dialog).to_be_visible()
    check("feedback dialog open")

    dialog.get_by_role("textbox", name="Comment").fill("Clear and short.")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Feedback submitted")).to_be_visible()
    check("after feedback")

    send(page, "/fail please")
    expect(page.locator(".task-error")).to_be_visible(timeout=15_000)
    check("failed turn")

    for theme in ("", "?theme=light", "?theme=dark"):
        page.goto(f"{server}/embed/{session_id}{theme}")
        expect(page.locator(".task-error")).to_be_visible()
        check(f"embed {theme.partition('=')[2] or 'auto'}")
    return session_id


def console_states(page: Page, server: str, session_id: str, check: Check) -> None:
    page.goto(server + "/admin")
    expect(page).to_have_url(server + "/admin/login")
    check("console sign-in")
    page.get_by_label("API key").fill(OPERATOR_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server + "/admin")
    check("console dashboard")

    give(server, "down", comment="Arrived while the dashboard was open", model="llama-3.1-8b")
    expect(page.locator("#feed-items .feed-item")).to_have_count(2)
    check("console feed, live item arrived")

    page.goto(f"{server}/admin/chats/{session_id}")
    expect(page.locator(".code-block").first).to_be_visible()
    check("console chat view")


def walk(browser: Browser, server: str, width: str, scheme: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    context = browser.new_context(
        viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True)),  # type: ignore[arg-type]
        color_scheme=scheme,  # type: ignore[arg-type]
        bypass_csp=True,  # axe goes in as an inline script, which our CSP rightly refuses
    )
    page = context.new_page()

    def check(state: str) -> None:
        found[state] = axe_violations(page)
        # Nothing may make the page scroll sideways (code and tables scroll in their own box).
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        if overflow > 0:
            found[state].append(
                {"id": "wider-than-viewport", "impact": "serious", "nodes": [],
                 "help": f"the page is {overflow} px wider than the viewport"}
            )  # fmt: skip

    session_id = widget_states(page, server, check)
    console_states(page, server, session_id, check)
    context.close()
    return found


def report(width: str, scheme: str, found: dict[str, Any]) -> None:
    """With FEEDBACK_WIDGET_A11Y_REPORT set, the counts per state go to that folder (for the
    before/after numbers in the changelog)."""
    folder = os.environ.get("FEEDBACK_WIDGET_A11Y_REPORT")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        counts = {state: [v["id"] for v in violations] for state, violations in found.items()}
        (Path(folder) / f"axe-{width}-{scheme}.json").write_text(json.dumps(counts, indent=1))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_no_axe_violations_in_any_state(
    browser: Browser, start_server: ServerFactory, width: str, scheme: str
) -> None:
    server = start_server(**console_config())
    found = walk(browser, server, width, scheme)
    report(width, scheme, found)
    failing = {state: describe(v) for state, v in found.items() if v}
    assert not failing, "\n\n".join(f"[{state}]\n{text}" for state, text in failing.items())


# The focused element, and whether it is what the reader sees at its centre (not a sticky bar).
FOCUSED_ON_TOP = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const x = Math.min(Math.max(box.left + box.width / 2, 0), innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), innerHeight - 1);
  const hit = document.elementFromPoint(x, y);
  const text = (el.textContent || "").trim().slice(0, 30);
  const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + text;
  return {name: name, onTop: !!hit && (hit === el || el.contains(hit))};
}"""


def tab_through(page: Page, key: str) -> tuple[list[str], list[str]]:
    """Every control reached by pressing `key` until focus leaves the page; those hidden."""
    reached: list[str] = []
    hidden: list[str] = []
    for _ in range(80):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED_ON_TOP)
        if focused is None or (reached and focused["name"] == reached[0]):
            break
        reached.append(focused["name"])
        if not focused["onTop"]:
            hidden.append(focused["name"])
    return reached, hidden


@pytest.mark.parametrize("width", WIDTHS)
def test_a_focused_control_is_never_under_a_sticky_bar(
    browser: Browser, start_server: ServerFactory, width: str
) -> None:
    server = start_server()
    context = browser.new_context(
        viewport=dict(zip(("width", "height"), WIDTHS[width], strict=True))  # type: ignore[arg-type]
    )
    page = context.new_page()
    session_id = new_chat(page, server)
    for turn in range(1, 5):
        send(page, RICH_MESSAGE)
        completed(page, turn)
    page.goto(f"{server}/chat/{session_id}")
    completed(page, 4)

    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.evaluate("window.scrollTo(0, 0)")
    forward, hidden_forward = tab_through(page, "Tab")
    assert len(forward) > 12  # the copies, code, tables and thumbs of four turns
    backward, hidden_backward = tab_through(page, "Shift+Tab")
    assert len(backward) > 12
    assert hidden_forward == [] and hidden_backward == []
    context.close()


# Records what screen readers would be told: every change inside a live region (text of the
# region afterwards, and how urgently), and alerts as they are inserted.
RECORD_ANNOUNCEMENTS = """() => {
  window.announced = [];
  const live = '[aria-live]:not([aria-live="off"]), [role=status], [role=alert], [role=log]';
  const urgency = el => el.getAttribute("aria-live")
    || (el.getAttribute("role") === "alert" ? "assertive" : "polite");
  new MutationObserver(records => {
    const regions = new Set();
    for (const record of records) {
      const node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
      const region = node && node.closest(live);
      if (region) regions.add(region);
      for (const added of record.addedNodes) {
        if (added.nodeType !== 1) continue;
        if (added.matches('[role=alert]')) regions.add(added);
        added.querySelectorAll('[role=alert]').forEach(alert => regions.add(alert));
      }
    }
    for (const region of regions) {
      const text = region.textContent.trim();
      if (text) window.announced.push({urgency: urgency(region), text: text});
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def test_a_reply_is_announced_once_when_complete_and_errors_assertively(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(stream_seconds=2.0)
    new_chat(page, server)
    page.evaluate(RECORD_ANNOUNCEMENTS)
    send(page, "Tell me about live regions")
    reply = page.locator(".bubble.agent").last
    expect(reply).to_have_attribute("data-status", "running")
    completed(page, 1)
    announced = page.evaluate("window.announced")
    assert len(announced) == 1, announced  # not one per streamed token
    assert announced[0]["urgency"] == "polite"
    assert "Tell me about live regions" in announced[0]["text"]

    page.evaluate("window.announced = []")
    send(page, "/fail now")
    expect(page.locator(".task-error")).to_be_visible(timeout=15_000)
    announced = page.evaluate("window.announced")
    assert [a["urgency"] for a in announced] == ["assertive"], announced
    assert "asked to fail" in announced[0]["text"]
