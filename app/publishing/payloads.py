"""SAM's feedback event payloads in `none`, `summary` and `stim` detail, with size fallback.

Every payload names its `event`: `feedback.submitted` (a feedback stored or changed) or
`feedback.reviewed` (a reviewer acted on it; its `review` part is the action). SAM's fields
are as SAM sends them; what we add comes after them."""

from __future__ import annotations

import json
import logging
from typing import Any

from app.feedback.model import FeedbackView, ReviewEntry
from app.transcripts.model import TaskView

log = logging.getLogger(__name__)
STIM_LOG_VERSION = "2.0"
SUBMITTED = "feedback.submitted"
REVIEWED = "feedback.reviewed"


def feedback_part(feedback: FeedbackView) -> dict[str, Any]:
    return {
        "id": feedback.id,
        "task_id": feedback.task_id,
        "session_id": feedback.session_id,
        "feedback_type": feedback.rating,
        "feedback_text": feedback.comment,
        "user_id": feedback.user_id,
        "created_time": feedback.created_time,
        # After SAM's fields: what the key registry and the SDK dialects add.
        "key": feedback.key,
        "score": feedback.score,
        "label": feedback.label,
        "weight": feedback.weight,
        "source": feedback.source,
        "via": feedback.via,
        "target_kind": feedback.target_kind,
        "reasons": list(feedback.reasons),
        "review_status": feedback.review_status,
        "review_labels": list(feedback.review_labels),
        "correction": feedback.correction,
    }


def task_summary(task: TaskView) -> dict[str, Any]:
    return {
        "id": task.id,
        "user_id": task.user_id,
        "session_id": task.session_id,
        "agent_id": task.agent_id,
        "status": task.status,
        "start_time": task.start_time,
        "end_time": task.end_time,
        "initial_request_text": task.request_text,
        "model": task.model,
        "prompt_version": task.prompt_version,
    }


def task_stim_data(task: TaskView, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "invocation_details": {
            "log_file_version": STIM_LOG_VERSION,
            "task_id": task.id,
            "user_id": task.user_id,
            "start_time": task.start_time,
            "end_time": task.end_time,
            "status": task.status,
            "initial_request_text": task.request_text,
        },
        "invocation_flow": [
            {
                "id": str(event["id"]),
                "created_time": event["created_time"],
                "topic": event["topic"],
                "direction": event["direction"],
                "payload": event["payload"],
            }
            for event in events
        ],
    }


def encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def build_payload(
    *,
    event_id: str,
    mode: str,
    max_bytes: int,
    feedback: FeedbackView,
    task: TaskView | None,
    events: list[dict[str, Any]],
    review: ReviewEntry | None = None,
) -> str:
    """The event's JSON text: `feedback.reviewed` with `review`, else `feedback.submitted`.
    A missing task sends the feedback part (and the review) alone, never fails."""
    payload: dict[str, Any] = {
        "event_id": event_id,
        "event": SUBMITTED if review is None else REVIEWED,
        "feedback": feedback_part(feedback),
    }
    if review is not None:
        payload["review"] = review.to_json()
    if task is None or mode == "none":
        return encode(payload)
    if mode == "summary":
        return encode({**payload, "task_summary": task_summary(task)})
    full = encode({**payload, "task_stim_data": task_stim_data(task, events)})
    size = len(full.encode("utf-8"))
    if size <= max_bytes:
        return full
    log.info(
        "feedback event %s: stim payload is %d bytes, over the %d-byte limit; sending summary",
        event_id,
        size,
        max_bytes,
    )
    return encode(
        {
            **payload,
            "task_summary": task_summary(task),
            "truncation_details": {
                "strategy": "fallback_to_summary",
                "reason": "payload_too_large",
            },
        }
    )
