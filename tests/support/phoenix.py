"""Arize Phoenix for the tracing tests: `phoenix serve` from its own virtual environment
(scripts/install-phoenix.sh, run by `make test-tools`), on free loopback ports, with a working
directory (its SQLite database) of the test's own, read back through Phoenix's REST API."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support import ROOT, free_port

PHOENIX_HOME = Path(os.environ.get("FEEDBACK_WIDGET_PHOENIX_HOME", ROOT / ".tools" / "phoenix"))
START_SECONDS = 120  # a first start migrates its database; two cores shared by many tests


class PhoenixServer:
    """One Phoenix; `stop()` and `start()` again keep its port and its data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.grpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.traces_url = f"{self.url}/v1/traces"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        executable = PHOENIX_HOME / "bin" / "phoenix"
        assert executable.exists(), (
            f"no Phoenix at {executable}: run scripts/install-phoenix.sh (make test-tools), or "
            "point FEEDBACK_WIDGET_PHOENIX_HOME at a virtual environment with arize-phoenix"
        )
        self.starts += 1
        env = {
            **os.environ,
            "PHOENIX_WORKING_DIR": str(self.folder),
            "PHOENIX_HOST": "127.0.0.1",
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(self.grpc_port),
            "PHOENIX_TELEMETRY_ENABLED": "false",
        }
        log = (self.folder / f"phoenix.{self.starts}.log").open("wb")
        with log:
            self.process = subprocess.Popen(
                [str(executable), "serve"], cwd=self.folder, env=env, stdout=log, stderr=log
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Phoenix exited early:\n{self.log()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Phoenix did not answer in time:\n{self.log()[-3000:]}")
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log(self) -> str:
        return (self.folder / f"phoenix.{self.starts}.log").read_text(errors="replace")

    def _get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        if response.status_code == 404:
            return None  # the project does not exist (yet)
        response.raise_for_status()
        return response.json()

    def spans(self, project: str) -> list[dict[str, Any]]:
        """The project's spans in OTLP's JSON shape (attributes as key/value lists)."""
        found = self._get(f"/v1/projects/{project}/spans/otlpv1", limit=1000)
        return list(found["data"]) if found else []

    def annotations(self, project: str, span_ids: list[str]) -> list[dict[str, Any]]:
        found = self._get(f"/v1/projects/{project}/span_annotations", span_ids=span_ids, limit=1000)
        return list(found["data"]) if found else []


def attributes(span: dict[str, Any]) -> dict[str, Any]:
    """An OTLP JSON span's attributes as a plain mapping."""
    plain: dict[str, Any] = {}
    for attribute in span.get("attributes") or ():
        given = [value for value in attribute["value"].values() if value is not None]
        plain[attribute["key"]] = given[0] if given else None
    return plain
