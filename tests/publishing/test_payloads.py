from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import pytest

from app.config.retention import DataRetentionSettings
from app.feedback.model import FeedbackView
from app.publishing.dispatcher import retry_delay
from app.publishing.payloads import build_payload
from app.retention import retention_loop
from tests.support import eventually


def feedback() -> FeedbackView:
    return FeedbackView(
        id="f1", task_id="gone", session_id="s", user_id="u", agent_id=None, key="thumbs",
        rating="down", comment="meh", weight=1, source="customer", metadata={}, created_time=5,
        score=0.0, via="widget", target_kind="task", target_id="gone", exclusive=True,
        label=None, organisation=None, prompt=None, environment=None, event_time=None,
        model=None, prompt_version=None, reasons=(), marks_task=True,
    )  # fmt: skip


@pytest.mark.parametrize("mode", ["none", "summary", "stim"])
def test_a_missing_task_sends_the_feedback_part_alone(mode: str) -> None:
    payload = json.loads(
        build_payload(
            event_id="e1", mode=mode, max_bytes=9_000_000, feedback=feedback(), task=None, events=[]
        )
    )
    assert payload == {
        "event_id": "e1",
        "event": "feedback.submitted",
        "feedback": {
            "id": "f1", "task_id": "gone", "session_id": "s", "feedback_type": "down",
            "feedback_text": "meh", "user_id": "u", "created_time": 5, "key": "thumbs",
            "score": 0.0, "label": None, "weight": 1, "source": "customer", "via": "widget",
            "target_kind": "task", "reasons": [], "review_status": "open",
            "review_labels": [], "correction": None,
        },
    }  # fmt: skip
    # SAM's fields first, as SAM sends them; ours after.
    assert list(payload["feedback"])[:7] == [
        "id", "task_id", "session_id", "feedback_type", "feedback_text", "user_id",
        "created_time",
    ]  # fmt: skip


def test_backoff_grows_with_jitter_up_to_the_cap() -> None:
    for attempts, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (10, 60.0)):
        delays = [retry_delay(attempts, 60) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert len(set(delays)) > 100  # jittered, so retries from many clients spread out


async def test_a_failing_retention_pass_is_logged_and_not_fatal(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import app.retention as retention

    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(retention, "run_due_pass", broken)
    with caplog.at_level(logging.ERROR, logger="feedback_widget.retention"):
        settings = DataRetentionSettings()
        loop = asyncio.create_task(retention_loop(None, settings, instance="test"))  # type: ignore[arg-type]
        await eventually(lambda: bool(caplog.records), what="the failure to be logged")
        assert not loop.done()  # still scheduled for the next interval
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop
    assert any("data retention pass failed" in r.getMessage() for r in caplog.records)
