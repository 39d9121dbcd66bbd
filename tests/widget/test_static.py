from __future__ import annotations

import hashlib
import re

from tests.support import ROOT
from tests.support.harness import Harness

VENDOR = ROOT / "static" / "vendor"


def test_vendored_files_match_their_recorded_checksums() -> None:
    notes = (VENDOR / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| `([^`]+\.js)` \| `([^`]+)` \| `([^`]+)` \| `([0-9a-f]{64})` \|", notes, re.M
    )
    assert {name for name, *_ in rows} == {p.name for p in VENDOR.glob("*.js")}
    for name, package, _, digest in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest
        assert package.rsplit("@", 1)[1] in name  # the version is in the file name
    assert any(package.startswith("htmx.org@2.0.") for _, package, *_ in rows)
    assert any(package.startswith("htmx-ext-sse@2.2.") for _, package, *_ in rows)


async def test_pages_load_the_vendored_scripts(harness: Harness) -> None:
    session_id = await harness.new_session()
    page = (await harness.client.get(f"/chat/{session_id}")).text
    for src in re.findall(r'<script src="([^"]+)"', page):
        response = await harness.client.get(src)
        assert response.status_code == 200, src
        assert "javascript" in response.headers["content-type"]


async def test_every_page_names_files_the_static_route_serves(harness: Harness) -> None:
    session_id = await harness.new_session()
    named: set[str] = set()
    for path in ("/", f"/chat/{session_id}", f"/embed/{session_id}", "/demo/host", "/admin/login"):
        page = (await harness.client.get(path)).text
        named |= set(re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', page))
    paths = {url.partition("?")[0] for url in named}
    assert {"/static/widget.css", "/static/console.css", "/static/widget.js"} <= paths
    for url in named:
        response = await harness.client.get(url)
        assert response.status_code == 200, url


def test_templates_name_static_files_only_through_static_url() -> None:
    """One function makes every static URL (with the content hash in it)."""
    hard_coded = [
        f"{template.relative_to(ROOT)}:{number}"
        for template in (ROOT / "templates").rglob("*.html")
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1)
        if "/static/" in line
    ]
    assert hard_coded == []


def test_stylesheets_mirror_by_logical_properties_only() -> None:
    """Right to left is `dir="rtl"` on the page, not a second stylesheet: a physical side in a
    stylesheet would stay put when an Arabic page mirrors."""
    physical = re.compile(
        r"(?:margin|padding|border)-(?:left|right)|border-(?:top|bottom)-(?:left|right)-radius"
        r"|text-align:\s*(?:left|right)|(?<![-\w])(?:left|right)\s*:|float:\s*(?:left|right)"
    )
    for sheet in ("widget.css", "console.css"):
        css = (ROOT / "static" / sheet).read_text(encoding="utf-8")
        assert physical.findall(re.sub(r"/\*.*?\*/", "", css, flags=re.S)) == [], sheet
