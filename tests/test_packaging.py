"""What the distribution promises: one version everywhere, a starter config, and a pyproject
that names every package and data file the wheel must carry (tests/test_wheel.py builds it)."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app import __version__
from app.cli import main
from app.config import load_settings
from app.main import create_app
from tests.support import ROOT
from tests.support.harness import HarnessFactory

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def newest_changelog_version() -> str:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    found = re.search(r"^## (\d+\.\d+\.\d+)", text, re.MULTILINE)
    assert found is not None
    return found.group(1)


def test_the_version_is_the_changelogs_newest_and_written_once() -> None:
    assert __version__ == newest_changelog_version()
    assert "version" in PYPROJECT["project"]["dynamic"]
    assert SETUPTOOLS["dynamic"]["version"] == {"attr": "app.__version__"}


def test_the_command_reports_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"feedback-widget {__version__}"


async def test_health_reports_the_version(make_harness: HarnessFactory) -> None:
    harness = await make_harness()
    health = await harness.client.get("/api/v1/health")
    assert health.json()["version"] == __version__


def distribution_path(source: Path) -> tuple[str, ...]:
    """Where a file of the tree lands in the wheel: templates/ and static/ go under app/."""
    parts = source.relative_to(ROOT).parts
    return parts if parts[0] == "app" else ("app", *parts)


def carried(parts: tuple[str, ...], packages: set[str], data: dict[str, list[str]]) -> bool:
    """A module of a listed package, or a file a listed package's data globs match (a glob
    may reach into folders below it, as `locale/*/LC_MESSAGES/*.mo` does)."""
    *folders, name = parts
    if ".".join(folders) in packages and name.endswith(".py"):
        return True
    for depth in range(len(folders), 0, -1):
        package = ".".join(folders[:depth])
        below = "/".join([*folders[depth:], name])
        if package in packages and any(fnmatch(below, glob) for glob in data.get(package, ())):
            return True
    return False


def source_files() -> list[Path]:
    found = []
    for top in ("app", "templates", "static"):
        found += [
            p for p in (ROOT / top).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]
    return found


def test_pyproject_names_every_package_and_data_file_of_the_tree() -> None:
    packages = set(SETUPTOOLS["packages"])
    data = SETUPTOOLS["package-data"]
    left_out = [
        str(source.relative_to(ROOT))
        for source in source_files()
        if not carried(distribution_path(source), packages, data)
    ]
    assert left_out == []
    assert carried(("app", "locale", "de", "LC_MESSAGES", "messages.mo"), packages, data)
    assert not carried(("app", "templates", "notes.txt"), packages, data)
    assert SETUPTOOLS["package-dir"] == {"app.templates": "templates", "app.static": "static"}


def test_init_writes_a_starter_config_that_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    main(["init"])
    written = tmp_path / "shared_config.yaml"
    assert "wrote shared_config.yaml" in capsys.readouterr().out
    assert written.read_text(encoding="utf-8").startswith("# feedback-widget configuration")

    settings = load_settings(written, env={})
    assert settings.config.agent.type == "echo"
    assert settings.config.auth.mode == "dev"
    assert settings.session_service.database_url == "sqlite:///feedback-widget.db"


async def test_the_starter_config_serves_the_widget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sqlite_url: str
) -> None:
    config = tmp_path / "starter.yaml"
    main(["init", str(config)])
    settings = load_settings(config, env={"FEEDBACK_WIDGET_DATABASE_URL": sqlite_url})
    async with LifespanManager(create_app(settings)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            page = await client.get("/")
            login = await client.get("/admin/login")
    assert page.status_code == 200 and "New chat" in page.text
    assert login.status_code == 200


def test_init_never_overwrites_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    existing = tmp_path / "mine.yaml"
    existing.write_text("services: {}\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["init", str(existing)])
    assert exited.value.code == 1
    assert f"{existing} already exists; not overwriting it" in capsys.readouterr().err
    assert existing.read_text(encoding="utf-8") == "services: {}\n"
