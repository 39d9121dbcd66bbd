"""At 360 px: tables scroll instead of breaking words, Copy never covers code, the console's
chat fits the screen, and Copy works in the console too."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_accessibility import RICH_MESSAGE, completed
from tests.browser.test_widget import new_chat, send
from tests.support.console import OPERATOR_KEY, console_config

# Lines each table cell's text takes: one per line box of its text.
CELL_LINES = """() => [...document.querySelectorAll(".markdown td, .markdown th")].map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
  return [cell.textContent.trim(), tops.size];
})"""
# Whether any Copy button overlaps the code under it.
COPY_OVERLAPS = """() => [...document.querySelectorAll(".code-block")].some(block => {
  const a = block.querySelector(".copy").getBoundingClientRect();
  const b = block.querySelector("pre").getBoundingClientRect();
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
})"""


def test_at_360_px_tables_scroll_and_copy_stays_clear_of_the_code(
    browser: Browser, start_server: ServerFactory
) -> None:
    server = start_server(**console_config())
    page = browser.new_page(viewport={"width": 360, "height": 780})
    session_id = new_chat(page, server)
    send(page, RICH_MESSAGE)
    completed(page, 1)

    cells = page.evaluate(CELL_LINES)
    assert ["Notebook", 1] in cells
    assert all(lines == 1 for text, lines in cells if " " not in text), cells
    scroller = page.locator(".table-scroll").first
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")  # it scrolls, inside
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(COPY_OVERLAPS) is False

    page.goto(server + "/admin/login")
    page.get_by_label("API key").fill(OPERATOR_KEY)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{server}/admin/chats/{session_id}")
    expect(page.locator(".code-block")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(COPY_OVERLAPS) is False
    copy = page.get_by_role("button", name="Copy")
    assert copy.evaluate("el => getComputedStyle(el).borderStyle") == "solid"  # styled
    copy.click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    page.close()
