"""Both datasets from 100,000 feedback rows (50,000 retried messages, each answer rated, one
answer rated down in ten corrected by a reviewer) streamed by a real server: its memory stays
flat, and the throughput is printed."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support import config_dict, start_server, stop_server, write_config
from tests.support.console import OPERATOR_KEY
from tests.support.seeding import seed_retry_pairs

PAIRS = 50_000
CORRECTED_EVERY = 10


@pytest.fixture(scope="module")
def big_database(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    database = tmp_path_factory.mktemp("datasets") / "big.db"
    database.write_bytes(migrated_template.read_bytes())
    seed_retry_pairs(database, PAIRS, corrected_every=CORRECTED_EVERY)
    return database


@pytest.mark.parametrize("kind", ["sft", "preferences"])
def test_100000_rows_make_a_dataset_in_flat_memory(
    kind: str, big_database: Path, tmp_path: Path
) -> None:
    keys = [{"name": "ops", "key": OPERATOR_KEY, "scopes": ["feedback:read:all"]}]
    config = write_config(
        tmp_path / "big.yaml",
        config_dict(
            database_url=f"sqlite:///{big_database}", auth={"mode": "dev", "api_keys": keys}
        ),
    )
    server = start_server(config, migrate=False)
    try:
        process = psutil.Process(server.process.pid)
        before = peak = process.memory_info().rss
        lines = size = 0
        started = time.perf_counter()
        with httpx.stream(
            "GET", f"{server.url}/api/v1/datasets/{kind}.jsonl",
            headers={"X-API-Key": OPERATOR_KEY}, timeout=300,
        ) as response:  # fmt: skip
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                lines += chunk.count(b"\n")
                size += len(chunk)
                peak = max(peak, process.memory_info().rss)
        seconds = time.perf_counter() - started
    finally:
        stop_server(server)
    grown = (peak - before) / 2**20
    print(
        f"{kind}: {lines} lines, {size / 2**20:.1f} MiB in {seconds:.2f} s "
        f"({lines / seconds:,.0f} lines/s); RSS before {before / 2**20:.1f} MiB, "
        f"peak {peak / 2**20:.1f} MiB (+{grown:.1f})"
    )
    # One example per liked retry and per correction; one pair per retried message and per
    # correction.
    assert lines == PAIRS + PAIRS // CORRECTED_EVERY
    # The file is tens of MiB; a page of 1,000 rows and its chats is what is held.
    assert grown < 25, f"memory grew by {grown:.1f} MiB"
