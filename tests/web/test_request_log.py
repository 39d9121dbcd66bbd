"""What a real server writes and whom it believes: no credential in any log line, and
X-Forwarded-For only from the proxies the config names."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import jwt

from tests.support import config_dict, start_server, stop_server, write_config

SECRET = "server-logs-secret-" + "l" * 40
PLATFORM_KEY = "platform-key-0123456789"
OPERATOR_KEY = "operator-key-0123456789"
KEYS = [
    {"name": "platform", "key": PLATFORM_KEY, "scopes": ["transcripts:write", "feedback:write"]},
    {"name": "operations", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]},
]


def test_no_token_or_key_reaches_the_access_log(tmp_path: Path) -> None:
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'logs.db'}",
        auth={"mode": "token", "secret": SECRET, "api_keys": KEYS},
    )
    server = start_server(write_config(tmp_path / "logs.yaml", config), log_level="info")
    user_token = jwt.encode({"sub": "ann", "exp": int(time.time()) + 600}, SECRET, "HS256")
    signature = user_token.rsplit(".", 1)[1]
    platform = {"X-API-Key": PLATFORM_KEY}
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            chat = client.post("/api/v1/sessions", json={"user_id": "ann"}, headers=platform)
            session_id = chat.json()["id"]
            client.post(
                f"/api/v1/sessions/{session_id}/tasks",
                json={"id": "t1", "request_text": "q", "status": "completed", "response_text": "a"},
                headers=platform,
            )
            link = client.post("/api/v1/feedback/tokens", json={"task_id": "t1"}, headers=platform)
            link_secret = link.json()["url"].rsplit("/", 1)[1]
            statuses: Counter[int] = Counter()
            for url in (
                f"/chat/{session_id}?token={user_token}",
                f"/embed/{session_id}?theme=dark&%74oken={user_token}",
                f"/embed/{session_id}?TOKEN={user_token}",
                f"/?api_key={PLATFORM_KEY}",
                f"/api/v1/me?token={user_token}",
                f"/api/v1/me?%74oken={user_token}",
                f"/api/v1/feedback/ingest/{link_secret}",
                f"/compat/voltagent/api/public/feedback/ingest/{link_secret}",
            ):
                statuses[client.get(url).status_code] += 1
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {user_token}"})
            with client.stream("GET", f"/chat/{session_id}/events?after=&token={user_token}") as r:
                statuses[r.status_code] += 1
        assert statuses[200] >= 4, statuses
    finally:
        stop_server(server)
    log = server.log()
    assert f"/chat/{session_id}" in log and "/api/v1/feedback/ingest/" in log  # it did log
    for secret in (user_token, signature, PLATFORM_KEY, link_secret):
        assert secret not in log, f"{secret[:12]}… is in the log:\n{log}"


def login_statuses(tmp_path: Path, *, forwarded_for: list[str], **server: Any) -> Counter[int]:
    """Sign-in attempts from loopback, each naming its X-Forwarded-For; the answers."""
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'login.db'}",
        # Token mode, as attacked: a sign-in has no user, so only its address is charged.
        auth={"mode": "token", "secret": SECRET, "api_keys": KEYS},
        rate_limits={"enabled": True},  # the default budgets: 10 sign-ins a minute
        **({"server": server} if server else {}),
    )
    process = start_server(write_config(tmp_path / "login.yaml", config))
    try:
        with httpx.Client(base_url=process.url, timeout=10) as client:
            return Counter(
                client.post(
                    "/admin/login",
                    data={"api_key": "wrong-key-0123456789"},
                    headers={"X-Forwarded-For": address},
                ).status_code
                for address in forwarded_for
            )
    finally:
        stop_server(process)


def test_forwarded_addresses_are_not_believed_by_default(tmp_path: Path) -> None:
    rotating = [f"203.0.113.{n}" for n in range(30)]
    assert login_statuses(tmp_path, forwarded_for=rotating) == {401: 10, 429: 20}


def test_a_named_proxy_is_believed_and_each_forwarded_address_counts(tmp_path: Path) -> None:
    rotating = [f"203.0.113.{n}" for n in range(30)]
    trusted = {"forwarded_allow_ips": ["127.0.0.1"]}
    assert login_statuses(tmp_path, forwarded_for=rotating, **trusted) == {401: 30}
    again = tmp_path / "again"
    again.mkdir()
    one = ["203.0.113.7"] * 12
    assert login_statuses(again, forwarded_for=one, **trusted) == {401: 10, 429: 2}
