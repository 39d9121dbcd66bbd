"""Static files: content-hashed URLs cached for a year, everything else revalidated; text
compressed on the way out; a favicon on every page."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from app.web.assets import fingerprint
from tests.support.harness import Harness

HASHED = re.compile(r"^/static/(?P<path>[\w/.-]+)\?v=(?P<version>[0-9a-f]{12})$")


async def named_assets(harness: Harness) -> set[str]:
    session_id = await harness.new_session()
    named: set[str] = set()
    for path in ("/", f"/chat/{session_id}", f"/embed/{session_id}", "/admin/login"):
        page = BeautifulSoup((await harness.client.get(path)).text, "html.parser")
        named |= {str(tag["src"]) for tag in page.select("script[src]")}
        named |= {str(tag["href"]) for tag in page.select("link[href]")}
    return named


async def test_pages_name_every_static_file_by_its_content_hash(harness: Harness) -> None:
    named = await named_assets(harness)
    assert {"widget.css", "console.css", "code.css", "widget.js", "code.js", "favicon.svg"} <= {
        match["path"] for url in named if (match := HASHED.match(url))
    }
    for url in named:
        match = HASHED.match(url)
        assert match is not None, url
        response = await harness.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert match["version"] == fingerprint(match["path"])


async def test_a_changed_or_unhashed_url_is_revalidated_not_kept(harness: Harness) -> None:
    for url in ("/static/embed.js", "/static/widget.css?v=0123456789ab", "/static/code.css"):
        response = await harness.client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-cache", url
    first = await harness.client.get("/static/embed.js")
    again = await harness.client.get(
        "/static/embed.js", headers={"if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304


async def test_html_css_js_and_json_are_compressed(harness: Harness) -> None:
    session_id = await harness.new_session()
    for url in (f"/chat/{session_id}", "/static/widget.css", "/static/widget.js", "/openapi.json"):
        response = await harness.client.get(url, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, url
        assert response.headers.get("content-encoding") == "gzip", url
        assert response.text  # httpx decoded it


async def test_every_page_has_a_favicon(harness: Harness) -> None:
    icon = [url for url in await named_assets(harness) if "favicon" in url]
    assert icon
    response = await harness.client.get(icon[0])
    assert response.headers["content-type"].startswith("image/svg+xml")
