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
        description="How long a client may take to send a request's line and headers, from "
        "its first byte (or from connecting); past it the connection is closed (408).",
    )
    body_timeout_seconds: float = Field(
        30,
        gt=0,
        le=3600,
        description="How long a client may take to send a whole request body, from the moment "
        "the server starts reading it; past it `408` and the connection is closed.",
    )
    keep_alive_seconds: int = Field(
        5, ge=1, le=300, description="How long an idle keep-alive connection is kept open."
    )
    limit_concurrency: int = Field(
        2048,
        ge=16,
        le=1_000_000,
        description="Connections one server process holds at once (open streams included); "
        "past it new requests get `503`.",
    )
    backlog: int = Field(
        2048,
        ge=1,
        le=65535,
        description="Connections the kernel queues before the server accepts them.",
    )
    forwarded_allow_ips: tuple[str, ...] = Field(
        (),
        description="Addresses or CIDR networks of the proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed. Empty: nobody's.",
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
