"""429 with Retry-After past a budget; Redis makes several processes share one budget."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.support import REDIS_URL, config_dict, running_server, write_config
from tests.support.harness import Harness, HarnessFactory

UNLIMITED = {"per_user": "1000/minute", "per_address": "1000/minute"}


def budgets(**overrides: Any) -> dict[str, Any]:
    rules = {"feedback": UNLIMITED, "messages": UNLIMITED, "api": UNLIMITED, **overrides}
    return {"rate_limits": {"enabled": True, **rules}}


async def rate(harness: Harness, session_id: str) -> int:
    task_id = await harness.completed_task(session_id)
    response = await harness.client.post(
        "/api/v1/feedback", json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
    )
    return response.status_code


async def test_feedback_past_the_budget_is_429_with_retry_after(
    make_harness: HarnessFactory,
) -> None:
    harness = await make_harness(
        **budgets(feedback={"per_user": "3/minute", "per_address": "100/minute"})
    )
    session_id = await harness.new_session()
    statuses = [await rate(harness, session_id) for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    task_id = await harness.completed_task(session_id)
    refused = await harness.client.post(
        "/api/v1/feedback", json={"taskId": task_id, "sessionId": session_id, "feedbackType": "up"}
    )
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["code"] == "rate_limited"
    assert refused.json()["detail"].startswith("Too many requests; try again in")
    # Nothing was stored for the refused attempts.
    assert (await harness.client.get("/api/v1/feedback")).headers["X-Total-Count"] == "3"


async def test_messages_budget_applies_to_the_widget_form(make_harness: HarnessFactory) -> None:
    harness = await make_harness(
        **budgets(messages={"per_user": "2/minute", "per_address": "100/minute"})
    )
    session_id = await harness.new_session()
    statuses = []
    for _ in range(3):
        response = await harness.client.post(
            f"/chat/{session_id}/messages", data={"message": "hi"}, headers={"HX-Request": "true"}
        )
        statuses.append(response.status_code)
    assert statuses == [204, 204, 429]
    assert response.text.startswith("Too many requests")  # shown in the widget's error slot


async def test_the_address_budget_holds_across_users(make_harness: HarnessFactory) -> None:
    secret = "r" * 40
    harness = await make_harness(
        auth={"mode": "token", "secret": secret},
        **budgets(api={"per_user": "100/minute", "per_address": "3/minute"}),
    )
    statuses = []
    for user in ("u1", "u2", "u3", "u4"):
        value = jwt.encode({"sub": user, "exp": int(time.time()) + 60}, secret, "HS256")
        response = await harness.client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {value}"}
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 429]


async def test_disabled_budgets_never_refuse(harness: Harness) -> None:
    session_id = await harness.new_session()
    assert {await rate(harness, session_id) for _ in range(15)} == {202}


@pytest.mark.redis
async def test_two_processes_share_one_redis_budget(tmp_path: Path) -> None:
    prefix = f"fw-test-{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    rules = budgets(feedback={"per_user": "4/minute", "per_address": "100/minute"})
    config = config_dict(database_url=url, **rules)
    config["apps"][0]["app_config"]["rate_limits"].update(storage_url=REDIS_URL, key_prefix=prefix)
    path = write_config(tmp_path / "redis.yaml", config)
    with running_server(path) as first_url, running_server(path, migrate=False) as second_url:
        async with (
            httpx.AsyncClient(base_url=first_url) as first,
            httpx.AsyncClient(base_url=second_url) as second,
        ):
            session_id = (await first.post("/api/v1/sessions", json={})).json()["id"]
            statuses = []
            for number in range(6):
                client = (first, second)[number % 2]
                task = await client.post(
                    f"/api/v1/sessions/{session_id}/tasks",
                    json={"request_text": "q", "status": "completed"},
                )
                answer = await client.post(
                    "/api/v1/feedback",
                    json={"taskId": task.json()["id"], "sessionId": session_id,
                          "feedbackType": "up"},
                )  # fmt: skip
                statuses.append(answer.status_code)
    assert statuses == [202, 202, 202, 202, 429, 429]


def test_bad_rate_names_the_key() -> None:
    from app.config import settings_from_mapping
    from app.errors import ConfigError

    data = config_dict(database_url="sqlite:///x.db")
    data["apps"][0]["app_config"]["rate_limits"] = {
        "feedback": {"per_user": "lots", "per_address": "1/minute"}
    }
    with pytest.raises(ConfigError) as caught:
        settings_from_mapping(data, {})
    assert str(caught.value) == (
        "apps[0].app_config.rate_limits.feedback.per_user: must be a rate like 10/minute or "
        "100 per hour (got 'lots')"
    )
