"""Browser tests: Playwright drives Chromium against a real server on a free port."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from tests.browser.host_site import HostSite
from tests.support import config_dict, running_server, write_config

# Debian's chromium by default; set FEEDBACK_WIDGET_CHROMIUM="" to use Playwright's own browser.
CHROMIUM = os.environ.get("FEEDBACK_WIDGET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if CHROMIUM:
        args["executable_path"] = CHROMIUM
    return args


ServerFactory = Callable[..., str]


@pytest.fixture
def start_server(tmp_path: Path, migrated_template: Path) -> Iterator[ServerFactory]:
    """Start a real server with its own fresh database; options go to config_dict()."""
    stack = ExitStack()
    numbers = itertools.count()

    def start(**options: Any) -> str:
        name = f"server{next(numbers)}"
        if options.get("service_type", "sql") == "sql" and "database_url" not in options:
            db_path = tmp_path / f"{name}.db"
            shutil.copy(migrated_template, db_path)
            options["database_url"] = f"sqlite:///{db_path}"
        options.setdefault("stream_seconds", 1.0)
        config = write_config(tmp_path / f"{name}.yaml", config_dict(**options))
        return stack.enter_context(running_server(config, migrate=False))

    with stack:
        yield start


@pytest.fixture
def server_url(start_server: ServerFactory) -> str:
    return start_server()


@pytest.fixture
def host_site() -> Iterator[HostSite]:
    site = HostSite()
    yield site
    site.close()
