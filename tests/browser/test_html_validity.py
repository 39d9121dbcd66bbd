"""html-validate over every page the server serves, as it serves them (raw HTML, before any
script ran), with the repository's .htmlvalidate.json: only the rules htmx's attributes
require are off there."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_accessibility import RICH_MESSAGE, completed
from tests.browser.test_console import give
from tests.browser.test_widget import new_chat, send
from tests.support.console import OPERATOR_KEY, console_config
from tests.support.web_checks import html_validate


def served_pages(page: Page, server: str) -> dict[str, str]:
    """Every kind of page, with a chat that has code, a table, feedback and a failed turn."""
    session_id = new_chat(page, server)
    send(page, RICH_MESSAGE)
    completed(page, 1)
    page.get_by_role("button", name="Like", exact=True).click()
    page.get_by_role("dialog", name="Provide Feedback").get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Feedback submitted")).to_be_visible()
    send(page, "/fail please")
    expect(page.locator(".task-error")).to_be_visible(timeout=15_000)
    give(server, "down", comment="Too short", model="llama-3.1-8b")

    pages: dict[str, str] = {}
    with httpx.Client(base_url=server, timeout=10) as client:
        for name, path in (
            ("home", "/"),
            ("demo host", "/demo/host"),
            ("chat", f"/chat/{session_id}"),
            ("embed", f"/embed/{session_id}?theme=dark"),
            ("not found", "/chat/no-such-chat"),
            ("console sign-in", "/admin/login"),
        ):
            pages[name] = client.get(path).text
        signed_in = client.post("/admin/login", data={"api_key": OPERATOR_KEY})
        assert signed_in.status_code == 303
        for name, path in (
            ("console dashboard", "/admin"),
            ("console chat", f"/admin/chats/{session_id}"),
        ):
            pages[name] = client.get(path).text
    return pages


def test_every_served_page_is_valid_html(
    page: Page, start_server: ServerFactory, tmp_path: Path
) -> None:
    server = start_server(**console_config())
    pages = served_pages(page, server)
    findings = html_validate(pages, tmp_path / "pages")
    if folder := os.environ.get("FEEDBACK_WIDGET_A11Y_REPORT"):
        counts = {name: [m["rule"] for m in found] for name, found in findings.items()}
        (Path(folder) / "html-validate.json").write_text(json.dumps(counts, indent=1))
    assert findings == {}, json.dumps(findings, indent=1)
