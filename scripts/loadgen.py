"""A small keep-alive HTTP/1.1 load generator on raw asyncio streams, for `make bench`.

It runs in its own process, pinned to its own core, so the server under test keeps the other
one. Each connection sends one request at a time and reads the answer by Content-Length
(every answer our servers give in a phase has one), so the figures are per-request latency
under a fixed concurrency.
"""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RequestFactory = Callable[[int], bytes]

# Benchmarks open thousands of streams from one address and one (dev) user: lift the per-user
# and per-address stream caps and the connection limit that protect a real server from that.
MANY_STREAMS: dict[str, Any] = {
    "limits": {"streams_per_user": 20_000, "streams_per_address": 20_000},
    "server": {"limit_concurrency": 16_000},
}


def request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass
class PhaseResult:
    name: str
    elapsed: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    bytes_read: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else 0.0

    def summary(self) -> dict[str, object]:
        return {
            "requests": self.count,
            "rate": round(self.rate, 1),
            "p50_ms": round(statistics.median(self.latencies_ms), 2) if self.count else None,
            "p99_ms": round(self.percentile(0.99), 2),
            "max_ms": round(max(self.latencies_ms, default=0.0), 2),
            "statuses": {str(code): n for code, n in sorted(self.statuses.items())},
            "mean_bytes": round(self.bytes_read / self.count) if self.count else 0,
        }


async def read_response(reader: asyncio.StreamReader) -> tuple[int, int]:
    """(status, body length) of one response with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length:
        await reader.readexactly(length)
    return status, length


async def run_phase(
    name: str,
    port: int,
    make: RequestFactory,
    *,
    concurrency: int,
    total: int | None = None,
    seconds: float | None = None,
) -> PhaseResult:
    """Send `total` requests (or keep going for `seconds`) over `concurrency` connections."""
    numbers = itertools.count()
    result = PhaseResult(name, 0.0)
    deadline = None if seconds is None else time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                number = next(numbers)
                if total is not None and number >= total:
                    return
                if deadline is not None and time.perf_counter() >= deadline:
                    return
                payload = make(number)
                started = time.perf_counter()
                writer.write(payload)
                status, length = await read_response(reader)
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.statuses[status] += 1
                result.bytes_read += length
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


class EventStream:
    """One open Server-Sent Events connection, read by hand (no parser beyond what we need)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int, path: str) -> EventStream:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request("GET", path, headers={"Accept": "text/event-stream"}))
        head = await reader.readuntil(b"\r\n\r\n")
        if head[9:12] != b"200":
            writer.close()
            raise RuntimeError(f"stream refused: {head[:40]!r}")
        return cls(reader, writer)

    async def wait_for(self, marker: bytes) -> float:
        """Read until `marker` appears in the stream; the perf_counter time it arrived."""
        seen = b""
        while marker not in seen:
            chunk = await self.reader.read(65536)
            if not chunk:
                raise RuntimeError("stream closed")
            seen = seen[-len(marker) :] + chunk
        return time.perf_counter()

    def close(self) -> None:
        self.writer.close()
