"""How `feedback-widget serve` runs uvicorn: connection deadlines, limits, trusted proxies.

These settings take effect in `app/server.py` (and the protocols in `app/protocols.py`); an
app built by `create_app` for a test or another server only uses `body_timeout_seconds`.
"""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from app.config.base import Frozen


class ServerSettings(Frozen):
    header_timeout_seconds: float = Field(
        10,
        gt=0,
        le=300,
        description="A request's line and headers must arrive within this, counted from the "
        "connection's start (or from the first byte of a later request on it). Past it the "
        "connection closes, with `408` if part of a request came.",
    )
    body_timeout_seconds: float = Field(
        30,
        gt=0,
        le=3600,
        description="A whole request body must arrive within this, counted from when the server "
        "starts reading it (a total, not per chunk). Past it: `408` in the surface's shape, and "
        "the connection closes. A body the server does not read must finish arriving within "
        "this after the answer, or the connection closes.",
    )
    keep_alive_seconds: int = Field(
        5, ge=1, le=300, description="How long an idle keep-alive connection stays open."
    )
    limit_concurrency: int = Field(
        2048,
        ge=16,
        le=1_000_000,
        description="Connections one instance holds at once, open streams included; past it new "
        "requests get `503`. `serve` raises the process's open-file limit to fit it where the "
        "hard limit allows, and logs a WARNING where it does not.",
    )
    backlog: int = Field(
        2048,
        ge=1,
        le=65535,
        description="Connections the kernel queues before the server accepts them (capped by "
        "the kernel's `somaxconn`).",
    )
    forwarded_allow_ips: tuple[str, ...] = Field(
        (),
        description="The proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed, "
        'e.g. `["127.0.0.1"]` for a proxy on the same machine or `["10.0.0.0/8"]`. Empty: '
        "nobody's, so every budget and cap counts the connecting address.",
        json_schema_extra={"doc_type": "list of IP addresses or CIDR networks"},
    )

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        for entry in entries:
            try:
                ipaddress.ip_network(entry.strip(), strict=True)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or a network like 10.0.0.0/8"
                ) from None
        return tuple(entry.strip() for entry in entries)
