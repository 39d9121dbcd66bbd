"""What a real server writes and whom it believes: no credential in any log line, and
X-Forwarded-For only from the proxies the config names."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config.loader import CONFIG_ENV_VAR
from app.web.log_format import JsonFormatter
from app.web.request_log import ACCESS_LOGGER
from tests.support import (
    REDIS_URL,
    ROOT,
    ServerProcess,
    config_dict,
    free_port,
    migrate_for,
    start_server,
    stop_server,
    wait_until_serving,
    write_config,
)
from tests.support.harness import Harness

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
    assert "GET /chat/{session_id} 200" in log and "/api/v1/feedback/ingest/{token}" in log
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


def json_lines(log: str) -> list[dict[str, Any]]:
    """Every line the server wrote, each a JSON object (a line that is not fails the test)."""
    return [json.loads(line) for line in log.splitlines() if line.strip()]


def test_json_request_lines_name_the_route_and_who_but_no_credential(tmp_path: Path) -> None:
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'json.db'}",
        auth={"mode": "token", "secret": SECRET, "api_keys": KEYS},
        logging={"format": "json"},
    )
    server = start_server(write_config(tmp_path / "json.yaml", config), log_level="info")
    user_token = jwt.encode({"sub": "ann", "exp": int(time.time()) + 600}, SECRET, "HS256")
    platform = {"X-API-Key": PLATFORM_KEY}
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            chat = client.post("/api/v1/sessions", json={"user_id": "ann"}, headers=platform)
            session_id = chat.json()["id"]
            page = client.get(f"/chat/{session_id}?token={user_token}&theme=dark")
            echoed = client.get("/api/v1/health", headers={"X-Request-ID": "lb-7f3a.2_x"})
            unsafe = client.get("/api/v1/health", headers={"X-Request-ID": "has spaces"})
            missing = client.get(f"/no/such/page?token={user_token}")
    finally:
        stop_server(server)
    assert page.status_code == 200 and missing.status_code == 404
    assert echoed.headers["X-Request-ID"] == "lb-7f3a.2_x"
    assert unsafe.headers["X-Request-ID"] != "has spaces"
    assert all(len(r.headers["X-Request-ID"]) >= 8 for r in (chat, page, unsafe, missing))

    log = server.log()
    assert user_token not in log and user_token.rsplit(".", 1)[1] not in log
    assert PLATFORM_KEY not in log and "theme=dark" not in log and session_id not in log
    lines = json_lines(log)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # its lines are JSON too
    requests = {
        line["request_id"]: line for line in lines if line["logger"] == "feedback_widget.access"
    }
    fields = ("method", "route", "status", "user", "key")
    seen = {
        response.headers["X-Request-ID"]: {k: requests[response.headers["X-Request-ID"]].get(k)
                                           for k in fields}
        for response in (chat, page, echoed, missing)
    }  # fmt: skip
    assert list(seen.values()) == [
        {"method": "POST", "route": "/api/v1/sessions", "status": 201, "user": None,
         "key": "platform"},
        {"method": "GET", "route": "/chat/{session_id}", "status": 200, "user": "ann",
         "key": None},
        {"method": "GET", "route": "/api/v1/health", "status": 200, "user": None, "key": None},
        # the 404 page is written in the language of the token's locale claim, so it reads the
        # token, and the line says whose it was
        {"method": "GET", "route": None, "status": 404, "user": "ann", "key": None},
    ]  # fmt: skip
    durations = [requests[rid]["duration_ms"] for rid in seen]
    assert all(isinstance(ms, float | int) and 0 <= ms < 10_000 for ms in durations)


def test_text_request_lines_are_for_people(tmp_path: Path) -> None:
    config = config_dict(database_url=f"sqlite:///{tmp_path / 'text.db'}")
    server = start_server(write_config(tmp_path / "text.yaml", config), log_level="info")
    try:
        answer = httpx.get(f"{server.url}/api/v1/me", headers={"X-Request-ID": "trace-42"})
    finally:
        stop_server(server)
    assert answer.headers["X-Request-ID"] == "trace-42"
    expected = "INFO feedback_widget.access: GET /api/v1/me 200 "
    (line,) = [line for line in server.log().splitlines() if line.startswith(expected)]
    assert line.endswith(" ms user=dev_user request_id=trace-42"), line


async def test_a_server_error_is_logged_and_answered_with_its_request_id(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("the disk is on fire")

    harness.app.router.routes.insert(0, Route("/broken/{item}", broken))
    transport = httpx.ASGITransport(app=harness.asgi, raise_app_exceptions=False)
    with caplog.at_level(logging.INFO):
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            answer = await client.get("/broken/7?token=x", headers={"X-Request-ID": "req-500"})
    assert answer.status_code == 500 and answer.headers["X-Request-ID"] == "req-500"
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    line = json.loads(JsonFormatter().format(error))
    assert line["request_id"] == "req-500" and "(request req-500)" in line["message"]
    assert "the disk is on fire" in line["exception"]
    (access,) = [r for r in caplog.records if r.name == ACCESS_LOGGER]
    request_line = json.loads(JsonFormatter().format(access))
    assert {k: request_line[k] for k in ("request_id", "route", "status")} == {
        "request_id": "req-500",
        "route": "/broken/{item}",
        "status": 500,
    }


def test_every_worker_writes_one_json_line_per_request(tmp_path: Path, postgres_url: str) -> None:
    config = config_dict(
        database_url=postgres_url,
        sse={"fanout_url": REDIS_URL, "key_prefix": f"fw-test-{uuid.uuid4().hex[:8]}"},
        logging={"format": "json"},
    )
    path = write_config(tmp_path / "workers.yaml", config)
    server = start_server(
        path, migrate=False, args=("--workers", "2"), log_level="info", wait=False
    )
    wait_until_serving(server, within=60)  # two processes importing everything at once
    answered: dict[str, str] = {}
    try:
        for n in range(40):  # a new connection each: the kernel spreads them over the workers
            health = httpx.get(f"{server.url}/api/v1/health", headers={"X-Request-ID": f"w-{n}"})
            answered[f"w-{n}"] = health.json()["instance"]
    finally:
        stop_server(server)
    assert len(set(answered.values())) == 2, answered
    lines = json_lines(server.log())
    logged = [line["request_id"] for line in lines if line["logger"] == ACCESS_LOGGER]
    assert sorted(rid for rid in logged if rid.startswith("w-")) == sorted(answered)


async def test_each_request_line_names_the_route_the_router_picked(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    session_id = await harness.new_session()
    asked = {
        ("GET", f"/chat/{session_id}"): "/chat/{session_id}",
        ("GET", "/static/vendor/htmx-2.0.11.min.js"): "/static/{path}",
        ("GET", "/admin/login"): "/admin/login",
        ("GET", "/api/v1/nothing/here"): None,  # a 404 under a mount
        ("DELETE", "/api/v1/health"): "/api/v1/health",  # a 405
        # One endpoint behind two routes: told apart by the path.
        ("GET", "/api/v1/feedback/ingest/not-a-link"): "/api/v1/feedback/ingest/{token}",
        ("GET", "/compat/voltagent/api/public/feedback/ingest/not-a-link"): (
            "/compat/voltagent/api/public/feedback/ingest/{token}"
        ),
    }
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        for method, path in asked:
            await harness.client.request(method, path)
    logged = [r.http for r in caplog.records if r.name == ACCESS_LOGGER]
    assert [(line["method"], line["route"]) for line in logged] == [
        (method, route) for (method, _), route in asked.items()
    ]
    assert [line["status"] for line in logged][3:5] == [404, 405]


def test_under_uvicorn_directly_no_raw_url_is_logged(tmp_path: Path) -> None:
    """`uvicorn --factory app.main:app_from_environment` with uvicorn's own logging: its
    access log would print `?token=`; the app switches it off."""
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'direct.db'}",
        auth={"mode": "token", "secret": SECRET, "api_keys": KEYS},
    )
    path = write_config(tmp_path / "direct.yaml", config)
    migrate_for(path)
    port = free_port()
    log_path = tmp_path / "direct.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "--factory", "app.main:app_from_environment"),
                *("--port", str(port), "--log-level", "info"),
            ],
            cwd=ROOT,
            env={**os.environ, CONFIG_ENV_VAR: str(path)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    token = jwt.encode({"sub": "ann", "exp": int(time.time()) + 600}, SECRET, "HS256")
    try:
        wait_until_serving(server)
        answer = httpx.get(f"{server.url}/?token={token}")
    finally:
        stop_server(server)
    assert answer.status_code == 200
    assert "Application startup complete" in server.log()  # it did log
    assert token not in server.log() and token.rsplit(".", 1)[1] not in server.log()
