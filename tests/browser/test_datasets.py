"""A preference pair made from the widget in Chromium: send, Dislike, Retry, Like, export."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.test_widget import new_chat, send
from tests.support.console import OPERATOR_KEY

KEYS = [{"name": "ops", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]}]


def rate(page: Page, reply: Locator, name: str) -> None:
    reply.get_by_role("button", name=name, exact=True).click()
    dialog = page.get_by_role("dialog", name="Provide Feedback")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog).to_be_hidden()
    expect(reply.get_by_role("button", name=name, exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )


def test_dislike_retry_like_makes_one_preference_pair(
    page: Page, start_server: ServerFactory
) -> None:
    server = start_server(stream_seconds=0.2, auth={"mode": "dev", "api_keys": KEYS})
    session_id = new_chat(page, server)
    send(page, "Tell me about lighthouses")
    replies = page.locator(".bubble.agent")
    first = replies.nth(0)
    expect(first).to_have_attribute("data-status", "completed", timeout=10_000)
    rate(page, first, "Dislike")

    first.get_by_role("button", name="Retry").click()
    expect(page.locator(".user-text")).to_have_text(
        ["Tell me about lighthouses", "Tell me about lighthouses"]
    )
    second = replies.nth(1)
    expect(second).to_have_attribute("data-status", "completed", timeout=10_000)
    rate(page, second, "Like")
    # Both answers stay in the chat, each with its own rating.
    expect(first.get_by_role("button", name="Dislike", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )

    operator = {"X-API-Key": OPERATOR_KEY}
    tasks = httpx.get(f"{server}/api/v1/sessions/{session_id}/tasks", timeout=10).json()
    assert [task["retry_of"] for task in tasks] == [None, tasks[0]["id"]]
    rows = httpx.get(f"{server}/api/v1/feedback", headers=operator, timeout=10).json()
    given = {row["task_id"]: (row["id"], row["rating"]) for row in rows}
    (down_id, down), (up_id, up) = given[tasks[0]["id"]], given[tasks[1]["id"]]
    assert (down, up) == ("down", "up")

    response = httpx.get(
        f"{server}/api/v1/datasets/preferences.jsonl", headers=operator, timeout=10
    )
    assert response.status_code == 200
    (pair,) = [json.loads(line) for line in response.text.splitlines()]
    assert pair["source_feedback_ids"] == [down_id, up_id]
    assert pair["prompt"] == [{"role": "user", "content": "Tell me about lighthouses"}]
    assert pair["chosen"] == [{"role": "assistant", "content": tasks[1]["response_text"]}]
    assert pair["rejected"] == [{"role": "assistant", "content": tasks[0]["response_text"]}]
