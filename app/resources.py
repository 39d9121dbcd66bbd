"""Where the files the server reads live: templates, static files, the starter config.

The repository keeps `templates/` and `static/` beside `app/`; the wheel carries them inside
the package as `app/templates` and `app/static` (pyproject.toml maps them). Either way they
are found from the package itself, never from the working directory: an installed wheel has
them inside, and a checkout (an editable install, or `app/` on the path) beside.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# A wheel is installed unpacked, so the package is a folder on disk: Jinja's loader,
# StaticFiles and Alembic all want real directories.
PACKAGE_DIR = Path(str(files("app")))


def _folder(name: str) -> Path:
    inside = PACKAGE_DIR / name
    if inside.is_dir():  # installed from a wheel
        return inside
    beside = PACKAGE_DIR.parent / name  # a checkout keeps it at the top of the repository
    if beside.is_dir():
        return beside
    raise RuntimeError(f"the {name} folder is missing: looked in {inside} and {beside}")


def templates_dir() -> Path:
    return _folder("templates")


def static_dir() -> Path:
    return _folder("static")


def starter_config() -> str:
    """The commented config `feedback-widget init` writes."""
    return (files("app.config") / "starter_config.yaml").read_text(encoding="utf-8")
