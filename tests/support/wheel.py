"""The project as a user gets it: a wheel built from a copy of the tree, installed (not
editable) into a fresh virtual environment.

The fresh environment borrows the test environment's third-party packages, so the test needs
no network and no half hour of installs, but never its copy of the project: it sees a folder
of links to every entry of the test environment's site-packages except the project's own
(its editable install's finder, path file and metadata). The project's code, templates and
static files come from the wheel alone; `installed_package` checks that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tests.support import ROOT

# What a checkout holds that is no part of the source: built things, environments, data.
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.db*", ".ci")
PROJECT_ENTRIES = ("__editable__", "_feedback_widget", "feedback_widget")


def build_wheel(into: Path) -> Path:
    """`pip wheel . --no-deps` on a copy of the tree (the checkout stays as it is)."""
    source = into / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(into), "."],
        cwd=source,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = into.glob("feedback_widget-*.whl")
    return wheel


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if ".dist-info/" not in name}


@dataclass
class Installed:
    """A fresh virtual environment with the wheel installed."""

    root: Path
    install_seconds: float

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    def run(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=cwd,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )


def clean_env() -> dict[str, str]:
    """The environment without what would lead Python back to the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FEEDBACK_"))}
    env["PATH"] = os.pathsep.join(
        part for part in env.get("PATH", "").split(os.pathsep) if ".venv" not in part
    )
    return env


def _borrowed_packages(into: Path) -> Path:
    """Links to the test environment's third-party packages, leaving out the project."""
    farm = into / "borrowed-site-packages"
    farm.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name == "app" or entry.name.startswith(PROJECT_ENTRIES) or entry.suffix == ".pth":
            continue
        (farm / entry.name).symlink_to(entry)
    return farm


def install_wheel(wheel: Path, into: Path) -> Installed:
    """A new venv (no pip of its own), the wheel installed into it by this environment's pip,
    then the borrowed packages added to its path."""
    root = into / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    started = time.monotonic()
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"),
            *("--no-deps", "--no-index", str(wheel)),
        ],
        check=True,
        capture_output=True,
        env=clean_env(),
        timeout=120,
    )
    seconds = time.monotonic() - started
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        env=clean_env(),
    ).stdout.strip()
    # Added after the install, so pip never sees the borrowed packages as its to manage.
    (Path(purelib) / "borrowed.pth").write_text(f"{_borrowed_packages(into)}\n")
    return Installed(root, seconds)


def installed_package(installed: Installed, cwd: Path) -> Path:
    """Where the fresh environment imports `app` from."""
    result = installed.run("python", "-c", "import app; print(app.__file__)", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip()).parent
