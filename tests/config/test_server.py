"""The `server` section and the stream caps: defaults, and faults that name their key path."""

from __future__ import annotations

from typing import Any

import pytest

from app.config import settings_from_mapping
from tests.config.test_loader import error_for
from tests.support import config_dict


def test_defaults_trust_no_proxy_and_bound_every_wait() -> None:
    config = settings_from_mapping(config_dict(database_url="sqlite:///x.db"), {}).config
    server = config.server
    assert server.forwarded_allow_ips == ()
    assert 0 < server.header_timeout_seconds <= 30 and 0 < server.body_timeout_seconds <= 30
    assert server.limit_concurrency >= 4 * config.limits.streams_per_address
    assert config.limits.streams_per_address > config.limits.streams_per_user


def test_proxies_may_be_addresses_or_networks() -> None:
    proxies = ["127.0.0.1", "::1", "10.0.0.0/8", "fd00::/8"]
    data = config_dict(database_url="sqlite:///x.db", server={"forwarded_allow_ips": proxies})
    assert settings_from_mapping(data, {}).config.server.forwarded_allow_ips == tuple(proxies)


@pytest.mark.parametrize(
    ("section", "values", "expected"),
    [
        (
            "server",
            {"forwarded_allow_ips": ["10.0.0.1", "proxy.internal"]},
            "apps[0].app_config.server.forwarded_allow_ips: 'proxy.internal' is not an IP "
            "address or a network like 10.0.0.0/8",
        ),
        (
            "server",
            {"forwarded_allow_ips": ["*"]},
            "apps[0].app_config.server.forwarded_allow_ips: '*' is not an IP address",
        ),
        (
            "server",
            {"forwarded_allow_ips": ["10.0.0.1/8"]},
            "apps[0].app_config.server.forwarded_allow_ips: '10.0.0.1/8' is not an IP address",
        ),
        (
            "server",
            {"header_timeout_seconds": 0},
            "apps[0].app_config.server.header_timeout_seconds: Input should be greater than 0",
        ),
        (
            "server",
            {"body_timeout_seconds": 7200},
            "apps[0].app_config.server.body_timeout_seconds: Input should be less than or equal "
            "to 3600",
        ),
        (
            "server",
            {"limit_concurrency": 0},
            "apps[0].app_config.server.limit_concurrency: Input should be greater than or equal "
            "to 16",
        ),
        (
            "server",
            {"backlog": 100000},
            "apps[0].app_config.server.backlog: Input should be less than or equal to 65535",
        ),
        ("server", {"workers": 2}, "apps[0].app_config.server.workers: unknown key"),
        (
            "limits",
            {"streams_per_user": 0},
            "apps[0].app_config.limits.streams_per_user: Input should be greater than or equal "
            "to 1",
        ),
        (
            "rate_limits",
            {"chats": {"per_user": "lots", "per_address": "10/minute"}},
            "apps[0].app_config.rate_limits.chats.per_user: must be a rate like 10/minute",
        ),
    ],
)
def test_bad_server_values_name_the_key_path(
    section: str, values: dict[str, Any], expected: str
) -> None:
    data = config_dict(database_url="sqlite:///x.db", **{section: values})
    assert error_for(data).startswith(expected)
