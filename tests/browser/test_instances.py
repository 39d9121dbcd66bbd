"""Two instances behind one database and one Redis: a page on one hears the other's writes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support import (
    REDIS_URL,
    ServerProcess,
    config_dict,
    postgres_database_sync,
    start_server,
    stop_server,
    write_config,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with postgres_database_sync() as url:
        config = config_dict(
            database_url=url,
            stream_seconds=1.0,
            sse={"fanout_url": REDIS_URL, "key_prefix": f"fw-browser-{tmp_path.name}"},
            rate_limits={"enabled": False},
        )
        path = write_config(tmp_path / "two.yaml", config)
        first = start_server(path)
        second = start_server(path, migrate=False)
        yield first, second
        stop_server(first)
        stop_server(second)


def test_a_page_on_one_instance_hears_writes_on_the_other(
    page: Page, two: tuple[ServerProcess, ServerProcess]
) -> None:
    first, second = two
    with httpx.Client(base_url=second.url, timeout=10) as b:
        session_id = b.post("/api/v1/sessions", json={}).json()["id"]
        done = b.post(
            f"/api/v1/sessions/{session_id}/tasks",
            json={"id": "done", "request_text": "Q", "status": "completed", "response_text": "A"},
        )
        assert done.status_code == 201
        page.goto(f"{first.url}/chat/{session_id}")
        like = page.locator("#controls-done").get_by_role("button", name="Like", exact=True)
        expect(like).to_have_attribute("aria-pressed", "false")

        body = {"taskId": "done", "sessionId": session_id, "feedbackType": "up"}
        assert b.post("/api/v1/feedback", json=body).status_code == 202
        posted = time.monotonic()
        expect(like).to_have_attribute("aria-pressed", "true", timeout=1000)
        expect(like).to_be_disabled(timeout=1000)
        assert time.monotonic() - posted < 1

        # A reply pushed to B, streamed in parts, shows on A as it arrives.
        b.post(f"/api/v1/sessions/{session_id}/tasks", json={"id": "live", "request_text": "Go"})
        reply = page.locator("#reply-live")
        expect(reply).to_have_attribute("data-status", "running")
        b.patch("/api/v1/tasks/live", json={"append_text": "First part, "})
        expect(reply.locator(".markdown")).to_contain_text("First part,")
        b.patch("/api/v1/tasks/live", json={"append_text": "then the end.", "status": "completed"})
        expect(reply.locator(".markdown")).to_have_text("First part, then the end.")
        expect(reply).to_have_attribute("data-status", "completed")
