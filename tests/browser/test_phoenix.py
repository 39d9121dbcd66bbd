"""Feedback given in the widget, seen where the agent's team looks: the thumbs-down, its
reasons and comment as a human annotation on the turn's span in Phoenix's own UI. With
FEEDBACK_WIDGET_SCREENSHOTS set (`make screenshots`), the view is saved as
phoenix-annotation.png there (docs/ in the repository)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_widget import dislike, new_chat, send
from tests.support.console import REASONS
from tests.support.phoenix import PhoenixServer, attributes

PROJECT = "support-widget"
UI_TIMEOUT_MS = 60_000  # Phoenix's UI loads its data in several rounds; two shared cores


def until(check: Any, what: str, within: float = 60) -> Any:
    """Wait until `check()` returns something true, and return it."""
    deadline = time.monotonic() + within
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
    return found


def test_widget_feedback_shows_on_its_span_in_phoenix(
    page: Page, start_server: ServerFactory, phoenix: PhoenixServer, tmp_path: Path
) -> None:
    server = start_server(
        stream_seconds=0.2,
        feedback_reasons=REASONS,
        observability={
            "otlp": {"endpoint": phoenix.traces_url, "service_name": PROJECT},
            "phoenix": {"url": phoenix.url},
        },
    )
    session_id = new_chat(page, server)
    send(page, "Where do I find my invoices?")
    expect(dislike(page)).to_be_visible(timeout=10_000)
    dislike(page).click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    dialog.get_by_role("checkbox", name="Too long").check()
    dialog.get_by_role("textbox", name="Comment").fill("Too wordy: it is under Billing.")
    dialog.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Feedback submitted")).to_be_visible()

    def the_span() -> dict[str, Any] | None:
        for span in phoenix.spans(PROJECT):
            if attributes(span)["feedback_widget.session_id"] == session_id:
                return span
        return None

    span = until(the_span, "the turn's span in Phoenix")
    until(lambda: phoenix.annotations(PROJECT, [span["span_id"]]), "the annotation in Phoenix")
    projects = httpx.get(f"{phoenix.url}/v1/projects", timeout=10).json()["data"]
    (project_id,) = [project["id"] for project in projects if project["name"] == PROJECT]

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{phoenix.url}/projects/{project_id}/traces/{span['trace_id']}")
    # The span's own pane; Phoenix's trace table behind it may show the same button.
    details = page.get_by_test_id("span-info-wrap").get_by_role(
        "button", name="View annotation details"
    )
    expect(details).to_be_visible(timeout=UI_TIMEOUT_MS)
    details.click()
    card = page.get_by_role("dialog", name="thumbs annotation details")
    expect(card).to_contain_text("down")
    expect(card).to_contain_text("HUMAN")
    expect(card).to_contain_text("Too wordy: it is under Billing.")

    target = Path(os.environ.get("FEEDBACK_WIDGET_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / "phoenix-annotation.png"))
