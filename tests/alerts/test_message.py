"""What a webhook receiver reads: a Slack message's `text` and the figures beside it."""

from __future__ import annotations

import json
import re

import yaml

from app.alerts.events import AlertChanged
from app.alerts.message import payload, queue_name
from app.alerts.window import Figures
from app.config import settings_from_mapping
from app.config.observability import AlertSettings
from tests.support import ROOT

RULE = AlertSettings(
    name="negative-answers",
    negative_share_above=0.4,
    window_minutes=15,
    min_feedback=10,
    model="gpt-4o",
    webhook_url="https://hooks.slack.example/services/T0/B0/x",
)
AT = 1_764_930_000_000  # 2025-12-05T10:20:00Z


def body(state: str, count: int, negative: int, rule: AlertSettings = RULE) -> dict[str, object]:
    change = AlertChanged(rule, state, Figures(count, negative), AT)  # type: ignore[arg-type]
    decoded: dict[str, object] = json.loads(payload(change, app="support-bot"))
    return decoded


def test_a_firing_message_names_the_alert_and_its_figures() -> None:
    assert body("firing", 13, 8) == {
        "text": ':rotating_light: Alert "negative-answers" firing: 62% thumbs-down (8 of 13) '
        "in the last 15 minutes",
        "alert": "negative-answers",
        "state": "firing",
        "share": 0.6154,
        "count": 13,
        "negative": 8,
        "threshold": 0.4,
        "min_feedback": 10,
        "window_minutes": 15,
        "filters": {"agent": None, "model": "gpt-4o", "reason": None},
        "app": "support-bot",
        "at": "2025-12-05T10:20:00.000Z",
    }


def test_a_resolved_message_says_why() -> None:
    assert body("ok", 20, 6)["text"] == (
        ':white_check_mark: Alert "negative-answers" resolved: 30% thumbs-down (6 of 20) '
        "in the last 15 minutes"
    )
    assert body("ok", 4, 4)["text"] == (
        ':white_check_mark: Alert "negative-answers" resolved: 100% thumbs-down (4 of 4) '
        "in the last 15 minutes, under the 10 feedback it needs to fire"
    )
    one_minute = RULE.model_copy(update={"window_minutes": 1})
    assert body("ok", 0, 0, one_minute)["text"] == (
        ':white_check_mark: Alert "negative-answers" resolved: no rated feedback in the last minute'
    )
    assert (body("ok", 0, 0)["state"], body("ok", 0, 0)["share"]) == ("resolved", 0.0)


def test_every_alert_has_a_queue_name_that_fits_the_outbox() -> None:
    assert queue_name("negative-answers") == "alert:negative-answers"
    long = [queue_name("x" * 200), queue_name("x" * 199 + "y")]
    assert all(len(name) <= 64 and name.startswith("alert:") for name in long)
    assert long[0] != long[1]


def readme_blocks(language: str) -> list[str]:
    """The `language` code blocks of the README's "Alerts" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Alerts\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_shows_the_body_the_server_sends() -> None:
    (example,) = readme_blocks("json")
    rule = RULE.model_copy(update={"model": None})
    at = 1_796_466_000_000  # the example's instant
    change = AlertChanged(rule, "firing", Figures(13, 8), at)
    assert json.loads(example) == json.loads(payload(change, app="support-bot"))


def test_the_readme_config_example_loads() -> None:
    (example,) = readme_blocks("yaml")
    data = {"apps": yaml.safe_load(example)["apps"]}
    settings = settings_from_mapping(data, env={"SLACK_WEBHOOK_URL": "https://hooks.example/x"})
    assert [alert.name for alert in settings.config.alerts] == ["negative-answers", "gpt-4o-wrong"]
