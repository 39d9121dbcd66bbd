from __future__ import annotations

import hashlib
import re

from tests.conftest import Harness
from tests.support import ROOT

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
