"""The wheel, as a new user meets it: installed (not editable) into a fresh virtual
environment, then `init`, `migrate` and `serve` from an empty folder, far from the checkout."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from app import __version__
from tests.support import ROOT, free_port
from tests.support.wheel import (
    Installed,
    clean_env,
    install_wheel,
    installed_package,
    wheel_files,
)

HTMX = "static/vendor/htmx-2.0.11.min.js"
DATABASE_COMPANIONS = ("feedback-widget.db-wal", "feedback-widget.db-shm")  # SQLite's WAL files


def tree_files() -> set[str]:
    """What the wheel must carry: every source file of the package, and the top-level
    templates and static files where the package finds them (app/templates, app/static)."""
    files = {str(p.relative_to(ROOT)) for p in (ROOT / "app").rglob("*") if p.is_file()}
    files = {f for f in files if "__pycache__" not in f}
    for folder in ("templates", "static"):
        files |= {f"app/{p.relative_to(ROOT)}" for p in (ROOT / folder).rglob("*") if p.is_file()}
    return files


def test_the_wheel_carries_every_file_the_server_needs(built_wheel: Path) -> None:
    assert wheel_files(built_wheel) == tree_files()
    assert built_wheel.name == f"feedback_widget-{__version__}-py3-none-any.whl"


def wait_for(check: Callable[[], bool], what: str, within: float = 20) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def served(built_wheel: Path, tmp_path: Path) -> Iterator[tuple[str, Installed, Path]]:
    """The wheel installed into a new venv and served from an empty folder: init, migrate,
    serve, as the README says."""
    installed = install_wheel(built_wheel, tmp_path)
    folder = tmp_path / "empty"
    folder.mkdir()
    assert installed_package(installed, folder) != ROOT / "app"
    started = time.monotonic()
    for command in (("init",), ("migrate",)):
        result = installed.run("feedback-widget", *command, cwd=folder)
        assert result.returncode == 0, result.stderr
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [str(installed.bin / "feedback-widget"), "serve", "--port", str(port)],
        cwd=folder,
        env=clean_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is None and answers(url), "the server's first page")
        served_seconds = time.monotonic() - started
        print(
            f"\nwheel: installed in {installed.install_seconds:.2f} s; init, migrate and the "
            f"first page served {served_seconds:.2f} s later"
        )
        yield url, installed, folder
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_an_installed_wheel_serves_from_an_empty_folder(
    served: tuple[str, Installed, Path],
) -> None:
    url, installed, folder = served
    package = installed_package(installed, folder)
    assert package.is_relative_to(installed.root), package  # the wheel's code, not the checkout's
    written = {p.name for p in folder.iterdir()}  # the config and the database, nothing else
    assert {"shared_config.yaml", "feedback-widget.db"} <= written
    assert written <= {"shared_config.yaml", "feedback-widget.db", *DATABASE_COMPANIONS}
    origin = {"Origin": url}
    with httpx.Client(base_url=url, timeout=10) as client:
        health = client.get("/api/v1/health").json()
        assert health["version"] == __version__

        created = client.post("/chat", headers=origin)
        assert created.status_code == 303, created.text
        chat_path = created.headers["location"]
        session_id = chat_path.rsplit("/", 1)[1]
        page = BeautifulSoup(client.get(chat_path).text, "html.parser")
        assert page.find("textarea", attrs={"name": "message"}) is not None

        htmx = client.get(f"/{HTMX}")
        assert htmx.status_code == 200
        assert htmx.content == (ROOT / HTMX).read_bytes()

        sent = client.post(
            f"{chat_path}/messages",
            data={"message": "hello from the wheel"},
            headers={**origin, "HX-Request": "true"},
        )
        assert sent.status_code == 204, sent.text  # htmx: the page hears of the turn by SSE

        def turns() -> list[dict[str, object]]:
            return list(client.get(f"/api/v1/sessions/{session_id}/tasks").json())

        wait_for(lambda: [t["status"] for t in turns()] == ["completed"], "the echo agent's reply")
        (turn,) = turns()
        liked = client.post(
            f"{chat_path}/feedback",
            data={"task_id": str(turn["id"]), "rating": "up"},
            headers={**origin, "HX-Request": "true"},
        )
        assert liked.status_code == 204, liked.text
        rows = client.get("/api/v1/feedback").json()
        assert [(row["task_id"], row["rating"]) for row in rows] == [(turn["id"], "up")]

        sign_in = BeautifulSoup(client.get("/admin/login").text, "html.parser")
        assert sign_in.find("input", attrs={"name": "api_key"}) is not None


def test_the_installed_command_reports_the_version(built_wheel: Path, tmp_path: Path) -> None:
    installed = install_wheel(built_wheel, tmp_path)
    result = installed.run("feedback-widget", "--version", cwd=tmp_path)
    assert result.stdout.strip() == f"feedback-widget {__version__}"
