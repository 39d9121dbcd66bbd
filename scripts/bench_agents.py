"""`make bench-agents`: what a streaming agent costs the server.

16 chats stream at once from the AG-UI test agent (tests/agent_servers/agui_agent.py), each
200 one-word tokens 20 ms apart (50 tokens/s, a fast model), with one live page (an SSE
stream) open on every chat. Reported: the server's CPU time per streamed token, its writes
(commits of streamed text) per stream per second, and the wall time of the run.

`--flush-seconds 0` runs the same load with a write per token, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts.bench_instances import cpu_seconds  # noqa: E402
from scripts.loadgen import MANY_STREAMS, EventStream  # noqa: E402
from tests.support import (  # noqa: E402
    ServerProcess,
    config_dict,
    free_port,
    migrate_for,
    stop_server,
    wait_until_serving,
    write_config,
)
from tests.support.agents import start_test_agent  # noqa: E402

STREAMS = 16
TOKENS = 200
GAP_SECONDS = 0.02


def serve(config_path: Path, flush_seconds: float | None) -> ServerProcess:
    """The real server; with `flush_seconds`, the runner's flush interval changed first."""
    migrate_for(config_path)
    port = free_port()
    setup = (
        f"import app.agents.runner as r; r.FLUSH_SECONDS = {flush_seconds!r}; "
        if flush_seconds is not None
        else ""
    )
    code = f"{setup}import sys; from app.cli import main; sys.exit(main())"
    command = [
        *(sys.executable, "-c", code, "serve", "--config", str(config_path)),
        *("--port", str(port), "--log-level", "warning"),
    ]
    log_path = config_path.with_suffix(".log")
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    wait_until_serving(server)
    return server


async def one_stream(client: httpx.AsyncClient, port: int) -> int:
    """A chat with a live page open; returns how many reply updates the page received."""
    created = await client.post("/chat")
    session = created.headers["location"].rsplit("/", 1)[1]
    page = await EventStream.open(port, f"/chat/{session}/events")
    try:
        sent = await client.post(
            f"/chat/{session}/messages",
            data={"message": f"stream {TOKENS} {GAP_SECONDS}"},
            headers={"HX-Request": "true"},
        )
        task = sent.headers["X-Task-Id"]
        updates = 0
        seen = b""
        while b'data-status="completed"' not in seen:
            chunk = await page.reader.read(65536)
            if not chunk:
                raise RuntimeError("stream closed")
            updates += chunk.count(f"event: reply-{task}".encode())
            seen = seen[-64:] + chunk
        return updates
    finally:
        page.close()


async def measure(server: ServerProcess) -> dict[str, Any]:
    port = int(server.url.rsplit(":", 1)[1])
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        before = cpu_seconds(server.process.pid)
        started = time.perf_counter()
        updates = await asyncio.gather(*(one_stream(client, port) for _ in range(STREAMS)))
        wall = time.perf_counter() - started
        cpu = cpu_seconds(server.process.pid) - before
    tokens = STREAMS * TOKENS
    stream_seconds = TOKENS * GAP_SECONDS
    return {
        "streams": STREAMS,
        "tokens": tokens,
        "wall_seconds": round(wall, 2),
        "server_cpu_seconds": round(cpu, 2),
        "cpu_us_per_token": round(cpu / tokens * 1e6, 1),
        "page_updates_per_stream_per_second": round(sum(updates) / STREAMS / stream_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flush-seconds", type=float, default=None)
    flush = parser.parse_args().flush_seconds
    with tempfile.TemporaryDirectory() as folder:
        agui = start_test_agent("agui_agent", Path(folder))
        path = write_config(
            Path(folder) / "bench.yaml",
            config_dict(
                database_url=f"sqlite:///{folder}/bench.db",
                agent={"type": "agui", "url": agui.url},
                **MANY_STREAMS,
            ),
        )
        server = serve(path, flush)
        try:
            result = asyncio.run(measure(server))
        finally:
            stop_server(server)
            agui.stop()
    result["flush_seconds"] = flush if flush is not None else "default"
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
