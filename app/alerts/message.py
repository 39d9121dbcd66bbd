"""The webhook body: a Slack incoming-webhook message (`text`) that also carries the figures as
structured fields, for receivers that are not Slack."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from app.alerts.events import AlertChanged
from app.clock import iso_ms

STATE_NAMES = {"firing": "firing", "ok": "resolved"}
EMOJI = {"firing": ":rotating_light:", "ok": ":white_check_mark:"}
# Outbox destinations and queue names are at most 64 characters; alert names up to 200.
QUEUE_NAME_MAX = 64


def queue_name(alert: str) -> str:
    """The outbox destination (and delivery queue) of an alert's messages: `alert:<name>`, or a
    digest of the name when it is too long to store."""
    name = f"alert:{alert}"
    if len(name) <= QUEUE_NAME_MAX:
        return name
    return "alert:" + hashlib.sha256(alert.encode()).hexdigest()[:32]


def minutes(count: int) -> str:
    return "minute" if count == 1 else f"{count} minutes"


def text(change: AlertChanged) -> str:
    rule, figures = change.rule, change.figures
    head = f'{EMOJI[change.state]} Alert "{rule.name}" {STATE_NAMES[change.state]}'
    window = f"in the last {minutes(rule.window_minutes)}"
    if figures.count == 0:
        return f"{head}: no rated feedback {window}"
    share = f"{figures.share:.0%} thumbs-down ({figures.negative} of {figures.count}) {window}"
    if figures.count < rule.min_feedback:
        return f"{head}: {share}, under the {rule.min_feedback} feedback it needs to fire"
    return f"{head}: {share}"


def body(change: AlertChanged, *, app: str) -> dict[str, Any]:
    rule, figures = change.rule, change.figures
    return {
        "text": text(change),
        "alert": rule.name,
        "state": STATE_NAMES[change.state],
        "share": round(figures.share, 4),
        "count": figures.count,
        "negative": figures.negative,
        "threshold": rule.negative_share_above,
        "min_feedback": rule.min_feedback,
        "window_minutes": rule.window_minutes,
        "filters": {"agent": rule.agent, "model": rule.model, "reason": rule.reason},
        "app": app,
        "at": iso_ms(change.at),
    }


def payload(change: AlertChanged, *, app: str) -> str:
    return json.dumps(body(change, app=app), ensure_ascii=False)
