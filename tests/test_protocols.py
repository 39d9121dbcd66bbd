"""Slow clients are cut off: headers and bodies trickled a byte at a time, against a real
`feedback-widget serve` (httptools, the default) and the same server on h11."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import (
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

HEADER_SECONDS = 1.0
BODY_SECONDS = 1.5
MARGIN = 1.5  # the event loop's timers, a loaded machine


def start_on_h11(config_path: Path) -> ServerProcess:
    """The same server with uvicorn's pure-Python h11 protocol instead of httptools."""
    migrate_for(config_path)
    port = free_port()
    log_path = config_path.with_suffix(f".{port}.log")
    code = (
        "import sys\n"
        "from app.config import load_settings\n"
        "from app.protocols import H11WithDeadlines\n"
        "from app.server import serve\n"
        "path, port = sys.argv[1], int(sys.argv[2])\n"
        "serve(path, load_settings(path), host='127.0.0.1', port=port, log_level='warning',\n"
        "      workers=1, http=H11WithDeadlines)\n"
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(config_path), str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    wait_until_serving(server)
    return server


@pytest.fixture(params=["httptools", "h11"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    config = config_dict(
        database_url=f"sqlite:///{tmp_path / 'deadlines.db'}",
        server={"header_timeout_seconds": HEADER_SECONDS, "body_timeout_seconds": BODY_SECONDS},
    )
    path = write_config(tmp_path / "deadlines.yaml", config)
    started = start_server(path) if request.param == "httptools" else start_on_h11(path)
    yield started
    stop_server(started)


async def trickle(
    server: ServerProcess, fast: bytes, slow: bytes, *, every: float, give_up: float
) -> tuple[bytes, float]:
    """Send `fast` at once, then `slow` a byte every `every` seconds, while reading; return
    what the server answered and how long until it closed the connection (or `give_up`)."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    started = time.monotonic()
    writer.write(fast)
    answer = b""

    async def send_slowly() -> None:
        for byte in slow:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(every)

    async def read_all() -> None:
        nonlocal answer
        while chunk := await reader.read(65536):
            answer += chunk

    sender = asyncio.create_task(send_slowly())
    try:
        await asyncio.wait_for(read_all(), give_up)
    except (TimeoutError, ConnectionResetError):
        pass
    finally:
        sender.cancel()
        writer.close()
    return answer, time.monotonic() - started


async def test_headers_sent_a_byte_at_a_time_are_cut_off(server: ServerProcess) -> None:
    head = b"GET /api/v1/config HTTP/1.1\r\nHost: example\r\nUser-Agent: slow\r\n\r\n"
    answer, took = await trickle(server, b"", head, every=0.2, give_up=HEADER_SECONDS + 6)
    assert took < HEADER_SECONDS + MARGIN, f"still open after {took:.1f} s"
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"connection: close" in answer.lower()


async def test_a_connection_that_sends_nothing_is_closed(server: ServerProcess) -> None:
    answer, took = await trickle(server, b"", b"", every=0.2, give_up=HEADER_SECONDS + 6)
    assert took < HEADER_SECONDS + MARGIN, f"still open after {took:.1f} s"
    assert answer == b""


async def test_a_body_sent_a_byte_a_second_is_cut_off_with_a_408(server: ServerProcess) -> None:
    head = (
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    body = b'{"title": "' + b"x" * 87 + b'"}'
    answer, took = await trickle(server, head, body, every=1, give_up=BODY_SECONDS + 8)
    assert took < BODY_SECONDS + MARGIN, f"still open after {took:.1f} s"
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 408 Request Timeout", answer
    headers, _, content = rest.partition(b"\r\n\r\n")
    assert b"connection: close" in headers.lower()
    assert json.loads(content)["code"] == "request_timeout"


async def test_a_body_the_app_never_reads_cannot_hold_the_connection(
    server: ServerProcess,
) -> None:
    # The route answers 404 without reading the body; the client keeps trickling it.
    head = b"POST /api/v1/nothing-here HTTP/1.1\r\nHost: example\r\nContent-Length: 100\r\n\r\n"
    answer, took = await trickle(server, head, b"x" * 100, every=0.5, give_up=BODY_SECONDS + 8)
    assert answer.startswith(b"HTTP/1.1 404 "), answer
    assert took < BODY_SECONDS + MARGIN, f"still open after {took:.1f} s"
