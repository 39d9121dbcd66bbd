"""Credentials and config shared by the dialect tests (in-process and with the real SDKs)."""

from __future__ import annotations

from typing import Any

import httpx

TRODO_SITE = "site-0123456789abcdef"
AGENTSIGHT_KEY = "ags_" + "0a1b2c3d" * 4 + "_abc123"
PORTKEY_KEY = "portkey-key-0123456789"
VOLT_PUBLIC, VOLT_SECRET = "pk_test_0123456789", "sk_test_0123456789"
OPERATOR_KEY = "operator-key-0123456789"
TOKEN_SECRET = "dialect-tests-secret-" + "x" * 40


def dialect_options(**extra: Any) -> dict[str, Any]:
    """config_dict options turning on every dialect, plus an operator key for the push API."""
    return {
        "compat": {
            "trodo": {"site_ids": [TRODO_SITE]},
            "agentsight": {"api_keys": [AGENTSIGHT_KEY], "agent_id": 7},
            "portkey": {"api_keys": [PORTKEY_KEY]},
            "voltagent": {"key_pairs": [{"public_key": VOLT_PUBLIC, "secret_key": VOLT_SECRET}]},
        },
        "auth": {
            "mode": "dev",
            "secret": TOKEN_SECRET,
            "api_keys": [
                {
                    "name": "platform",
                    "key": OPERATOR_KEY,
                    "scopes": ["transcripts:write", "feedback:write", "feedback:read:all"],
                }
            ],
        },
        "feedback_keys": [
            {
                "name": "satisfaction",
                "type": "categorical",
                "categories": [
                    {"value": 1, "label": "Satisfied"},
                    {"value": 0, "label": "Unsatisfied"},
                ],
            }
        ],
        **extra,
    }


OPERATOR = {"X-API-Key": OPERATOR_KEY}


async def push_task(client: httpx.AsyncClient, trace_id: str, user: str = "ann") -> tuple[str, str]:
    """A completed task carrying `trace_id`, in a new session of `user`: (session id, task id)."""
    session = await client.post("/api/v1/sessions", json={"user_id": user}, headers=OPERATOR)
    session_id: str = session.json()["id"]
    task = await client.post(
        f"/api/v1/sessions/{session_id}/tasks",
        json={
            "request_text": "Where is my invoice?",
            "status": "completed",
            "response_text": "Under Billing.",
            "trace_id": trace_id,
        },
        headers=OPERATOR,
    )
    assert task.status_code == 201, task.text
    task_id: str = task.json()["id"]
    return session_id, task_id
