"""Screenshots of the widget at 360 px and 1280 px, in the light and the dark colour scheme.

They go to the test's temp folder; `make screenshots` sets FEEDBACK_WIDGET_SCREENSHOTS=docs
to refresh the ones in docs/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support import ROOT

WIDTHS = {"mobile-360": (360, 780), "desktop-1280": (1280, 860)}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", WIDTHS)
def test_screenshot(
    browser: Browser, server_url: str, tmp_path: Path, name: str, scheme: str
) -> None:
    width, height = WIDTHS[name]
    page = browser.new_page(viewport={"width": width, "height": height}, color_scheme=scheme)  # type: ignore[arg-type]
    page.goto(server_url + "/")
    page.get_by_role("button", name="New chat").click()
    box = page.get_by_role("textbox", name="Message")
    texts = ("What can this widget do?", "Show me a **list**:\n- thumbs\n- comments")
    for turns, text in enumerate(texts, start=1):
        box.fill(text)
        box.press("Enter")
        expect(page.locator("li.turn")).to_have_count(turns)
        expect(page.locator("[data-status=completed]")).to_have_count(turns, timeout=10_000)
    page.get_by_role("button", name="Like", exact=True).first.click()
    page.get_by_role("dialog", name="Provide Feedback").get_by_role("button", name="Submit").click()
    page.get_by_role("button", name="Dislike", exact=True).last.click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    dialog.get_by_role("textbox", name="Comment").fill("The list could use more detail.")

    # Nothing may overflow sideways at either width.
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    target_dir = Path(os.environ.get("FEEDBACK_WIDGET_SCREENSHOTS") or tmp_path)
    if not target_dir.is_absolute():
        target_dir = ROOT / target_dir
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"widget-{'' if scheme == 'light' else 'dark-'}{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    page.close()
