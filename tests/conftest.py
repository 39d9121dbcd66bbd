from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.bus import DomainEvent
from app.config import Settings, settings_from_mapping
from app.db.engine import create_database, database_url
from app.db.migrate import upgrade
from app.main import create_app
from app.web.state import Services
from tests import support
from tests.support import config_dict, postgres_database
from tests.support.agents import (
    LLAMA_API_KEY,
    LLAMA_MODEL_NAME,
    AgentProcess,
    start_llama,
    start_test_agent,
)
from tests.support.harness import Harness, HarnessFactory
from tests.support.mqtt import Broker
from tests.support.needs import needs
from tests.support.otlp import OtlpReceiver, otlp_receiver
from tests.support.phoenix import PhoenixServer
from tests.support.wheel import build_wheel


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once per run; each test copies the file instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = create_database(database_url(f"sqlite:///{path}"))
        try:
            await upgrade(db)
        finally:
            await db.dispose()

    # Its own thread: Playwright's sync API may already run an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, build()).result()
    support.MIGRATED_TEMPLATE = path
    return path


@pytest.fixture(scope="session", autouse=True)
def _servers_start_from_the_template(migrated_template: Path) -> None:
    """Real servers started by tests copy the migrated template instead of migrating."""


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once a run from a copy of the tree."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "test.db"
    shutil.copy(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
async def make_harness(sqlite_url: str) -> AsyncIterator[HarnessFactory]:
    """Build a fresh app (own database) with a config built from config_dict(**options)."""
    stack: list[tuple[LifespanManager, httpx.AsyncClient]] = []

    async def build(*, env: dict[str, str] | None = None, **options: Any) -> Harness:
        options.setdefault("database_url", sqlite_url)
        settings: Settings = settings_from_mapping(config_dict(**options), env=env or {})
        app = create_app(settings)
        manager = LifespanManager(app)
        await manager.__aenter__()
        transport = httpx.ASGITransport(app=manager.app)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        stack.append((manager, client))
        services: Services = app.state.services
        events: list[DomainEvent] = []
        services.bus.subscribe(events.append)
        return Harness(app, manager.app, client, services, events)

    yield build
    for manager, client in reversed(stack):
        await client.aclose()
        await manager.__aexit__(None, None, None)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A mosquitto of the test's own on a free port (tests/support/mqtt.py)."""
    folder = tmp_path / "broker"
    folder.mkdir()
    server = Broker(folder)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> Harness:
    return await make_harness()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests_root = Path(__file__).parent
    for item in items:
        for marker in set(needs(item, tests_root)):
            item.add_marker(marker)
    # Once Playwright's sync API starts, it keeps an event loop running on the main thread for
    # the rest of the session, which asyncio tests cannot share: run browser tests last.
    items.sort(key=lambda item: item.nodeid.startswith("tests/browser/"))


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with postgres_database() as url:
        db = create_database(database_url(url))
        try:
            await upgrade(db)
        finally:
            await db.dispose()
        yield url


@pytest.fixture(scope="session")
def llama(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    """llama.cpp's OpenAI-compatible server with SmolLM2-135M, shared by the tests that need a
    real model (started once: loading the model is most of its cost). It checks an API key."""
    server = start_llama(tmp_path_factory.mktemp("llama"))
    try:
        try:
            # One completion first, so every later request's log line reports a prompt prefix.
            httpx.post(
                f"{server.url}/v1/chat/completions",
                headers={"Authorization": f"Bearer {LLAMA_API_KEY}"},
                json={
                    "model": LLAMA_MODEL_NAME,
                    "messages": [{"role": "user", "content": "Hi"}],
                    "max_tokens": 2,
                },
                timeout=60,
            ).raise_for_status()
        except httpx.HTTPError as error:
            raise RuntimeError(
                f"llama.cpp failed its first completion ({error}):\n{server.log()[-3000:]}"
            ) from error
        yield server
    finally:
        server.stop()


@pytest.fixture
def a2a_agent(tmp_path: Path) -> Iterator[AgentProcess]:
    server = start_test_agent("a2a_agent", tmp_path)
    yield server
    server.stop()


@pytest.fixture
def agui_agent(tmp_path: Path) -> Iterator[AgentProcess]:
    server = start_test_agent("agui_agent", tmp_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PhoenixServer]:
    """Arize Phoenix on free ports, shared by a module's tests (each uses a project of its
    own): starting one takes 10-30 s (tests/support/phoenix.py)."""
    server = PhoenixServer(tmp_path_factory.mktemp("phoenix"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    """An OTLP/HTTP traces endpoint in this process (tests/support/otlp.py)."""
    with otlp_receiver() as receiver:
        yield receiver
