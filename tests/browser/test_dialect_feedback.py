"""Feedback from SDK dialects and feedback links shows in the widget, live, in a real browser."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import ServerFactory
from tests.browser.host_site import HostSite
from tests.browser.test_widget import dislike, like, new_chat, send_and_wait
from tests.support.dialects import OPERATOR, TRODO_SITE, dialect_options


def test_a_trodo_reaction_locks_the_widget_controls_live(
    page: Page, start_server: ServerFactory
) -> None:
    server_url = start_server(stream_seconds=0.2, **dialect_options())
    new_chat(page, server_url)
    send_and_wait(page)
    task_id = page.locator("li.turn").first.get_attribute("data-task-id")
    expect(like(page)).to_be_enabled()

    feedback = {"satisfaction": "negative", "rating": 1, "comment": "Sent from the host app",
                "distinct_id": None, "attributes": {}}  # fmt: skip
    item = {"run_id": task_id, "feedback": feedback}
    answer = httpx.post(
        f"{server_url}/compat/trodo/api/sdk/batch",
        json={"items": [item]},
        headers={"X-Trodo-Site-Id": TRODO_SITE},
    )
    assert answer.json()["results"][0]["status"] == 201

    # No reload: the SSE push replaces the controls with the locked-in state.
    expect(dislike(page)).to_have_attribute("aria-pressed", "true")
    expect(like(page)).to_be_disabled()
    expect(page.locator(".feedback-status").first).to_have_text("Feedback submitted")


def test_a_feedback_link_is_answered_by_a_browser_on_another_origin(
    page: Page, start_server: ServerFactory, host_site: HostSite
) -> None:
    server_url = start_server(stream_seconds=0.2, **dialect_options())
    session = httpx.post(f"{server_url}/api/v1/sessions", json={"user_id": "ann"}, headers=OPERATOR)
    httpx.post(
        f"{server_url}/api/v1/sessions/{session.json()['id']}/tasks",
        json={"request_text": "Q", "status": "completed", "response_text": "A", "trace_id": "tr-9"},
        headers=OPERATOR,
    )
    link = httpx.post(
        f"{server_url}/api/v1/feedback/tokens",
        json={"task_id": "tr-9", "key": "satisfaction"},
        headers=OPERATOR,
    ).json()
    page.goto(host_site.url)  # a page on another origin, holding no credential of ours
    post = """async ([url, body]) => {
        const response = await fetch(url, {method: "POST",
            headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
        return {status: response.status, body: await response.json()};
    }"""
    first = page.evaluate(post, [link["url"], {"score": 1, "comment": "From the host page"}])
    second = page.evaluate(post, [link["url"], {"score": 0}])
    assert first["status"] == 201 and first["body"]["key"] == "satisfaction"
    assert (second["status"], second["body"]["code"]) == (409, "feedback_link_used")
    stored = httpx.get(
        f"{server_url}/api/v1/feedback", params={"key": "satisfaction"}, headers=OPERATOR
    )
    assert [(r["label"], r["comment"], r["via"]) for r in stored.json()] == [
        ("Satisfied", "From the host page", "token")
    ]
