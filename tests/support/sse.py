"""A small Server-Sent Events reader over httpx, for tests against a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx


@dataclass
class Event:
    event: str
    data: str
    id: str | None


async def read_events(response: httpx.Response) -> AsyncIterator[Event | str]:
    """Yield events, and comment lines (pings) as plain strings."""
    name, data, event_id = "message", [], None
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield line
        elif line == "":
            if data:
                yield Event(name, "\n".join(data), event_id)
            name, data, event_id = "message", [], None
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                event_id = value
