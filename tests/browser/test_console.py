"""The operator console in Chromium, against a real server: sign in, read the figures, watch
feedback arrive live, filter, export, sign out; and reasons chosen by keyboard in the
widget's modal."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_widget import new_chat, send
from tests.support import ROOT, config_dict, running_server, write_config
from tests.support.console import OPERATOR_KEY, console_config
from tests.support.seeding import seed_feedback


def give(server: str, rating: str, *, comment: str | None = None, **task: Any) -> str:
    """A pushed, completed turn rated through the JSON API; the feedback's id."""
    with httpx.Client(base_url=server, timeout=10) as client:
        session_id = client.post("/api/v1/sessions", json={"agent_id": "support"}).json()["id"]
        task_id = client.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={"request_text": "q", "status": "completed", "response_text": "a", **task},
        ).json()["id"]
        body: dict[str, Any] = {"taskId": task_id, "sessionId": session_id, "feedbackType": rating}
        if comment:
            body["feedbackText"] = comment
        response = client.post("/api/v1/feedback", json=body)
        assert response.status_code == 202, response.text
        return str(response.json()["id"])


def sign_in(page: Page, server: str) -> None:
    page.goto(server + "/admin")
    expect(page).to_have_url(server + "/admin/login")
    page.get_by_label("API key").fill(OPERATOR_KEY)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server + "/admin")


def figure(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-figure="{name}"]')


def test_sign_in_figures_live_feed_filter_export_and_sign_out(
    page: Page, start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(**console_config())
    give(server, "up", comment="Spot on", model="gpt-4o-mini")
    give(server, "up", model="gpt-4o-mini")
    give(server, "down", comment="Wrong answer", model="llama-3.1-8b")
    sign_in(page, server)

    expect(figure(page, "count")).to_have_text("3")
    expect(figure(page, "satisfaction")).to_have_text("67%")
    expect(figure(page, "comments")).to_have_text("2")
    expect(page.locator("#feed-items .feed-item")).to_have_count(3)

    # Submitted elsewhere, it appears at the top of the feed and in the figures, no reload.
    fresh = give(server, "down", comment="Arrived live", model="llama-3.1-8b")
    expect(page.locator("#feed-items .feed-item").first).to_have_attribute("id", f"fb-{fresh}")
    expect(page.locator("#feed-items .feed-item").first).to_contain_text("Arrived live")
    expect(figure(page, "count")).to_have_text("4")
    expect(figure(page, "satisfaction")).to_have_text("50%")

    # A filter narrows the feed, and the URL says so.
    page.get_by_label("Rating", exact=True).select_option("down")
    page.get_by_label("Model", exact=True).fill("llama-3.1-8b")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{server}/admin?model=llama-3.1-8b&rating=down", ignore_case=False)
    expect(page.locator("#feed-items .feed-item")).to_have_count(2)
    expect(figure(page, "count")).to_have_text("2")

    # The export button downloads this view.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8-sig"), newline="")))
    assert sorted(row["comment"] for row in rows) == ["Arrived live", "Wrong answer"]
    assert {(row["rating"], row["model"]) for row in rows} == {("down", "llama-3.1-8b")}

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server + "/admin/login")
    page.goto(server + "/admin")
    expect(page).to_have_url(server + "/admin/login")
    assert page.context.cookies() == []


def test_reasons_are_chosen_with_the_keyboard_alone(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(**console_config())
    session_id = new_chat(page, server)
    send(page, "Hello")
    dislike = page.get_by_role("button", name="Dislike", exact=True)
    expect(dislike).to_be_visible(timeout=10_000)
    dislike.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    expect(dialog).to_be_visible()
    # Only the thumbs-down reasons show, and the first of them has the focus.
    expect(dialog.get_by_role("checkbox")).to_have_count(3)
    expect(dialog.get_by_role("checkbox", name="Incorrect")).to_be_focused()
    page.keyboard.press("Tab")  # to "Too long"
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # to "Not helpful"
    page.keyboard.press("Space")
    expect(dialog.get_by_role("checkbox", name="Too long")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Incorrect")).not_to_be_checked()
    page.keyboard.press("Tab")  # to the comment
    page.keyboard.type("Rambled on")
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # Submit
    page.keyboard.press("Enter")
    expect(page.get_by_text("Feedback submitted")).to_be_visible()

    rows = httpx.get(f"{server}/api/v1/feedback", params={"session_id": session_id}).json()
    assert [(row["rating"], row["reasons"], row["comment"]) for row in rows] == [
        ("down", ["Too long", "Not helpful"], "Rambled on")
    ]


WIDTHS = {"mobile-360": (360, 780), "desktop-1280": (1280, 900)}
NEWEST_BAR_SHOWN = """() => {
  const box = document.querySelector(".chart-scroll").getBoundingClientRect();
  const bars = document.querySelectorAll(".chart .bar-up");
  const last = bars[bars.length - 1].getBoundingClientRect();
  return last.left >= box.left && last.right <= box.right;
}"""


def test_console_screenshots(browser: Browser, tmp_path: Path, migrated_template: Path) -> None:
    """The console at 1280 px and 360 px with a month of feedback, nothing overflowing
    sideways; `make screenshots` refreshes docs/console-*.png."""
    database = tmp_path / "month.db"
    shutil.copy(migrated_template, database)
    seed_feedback(database, 3000, days=30)
    config = write_config(
        tmp_path / "month.yaml",
        config_dict(database_url=f"sqlite:///{database}", **console_config()),
    )
    target = Path(os.environ.get("FEEDBACK_WIDGET_SCREENSHOTS") or tmp_path)
    target = target if target.is_absolute() else ROOT / target
    target.mkdir(parents=True, exist_ok=True)
    with running_server(config, migrate=False) as server:
        for scheme in ("light", "dark"):
            for name, (width, height) in WIDTHS.items():
                page = browser.new_page(
                    viewport={"width": width, "height": height},
                    color_scheme=scheme,  # type: ignore[arg-type]
                )
                sign_in(page, server)
                expect(page.locator("#feed-items .feed-item")).to_have_count(20)
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                # The chart opens on the newest bucket, also where it scrolls (at 360 px).
                assert page.evaluate(NEWEST_BAR_SHOWN), name
                prefix = "console-" if scheme == "light" else "console-dark-"
                path = target / f"{prefix}{name}.png"
                page.screenshot(path=str(path))
                assert path.stat().st_size > 10_000
                page.close()
