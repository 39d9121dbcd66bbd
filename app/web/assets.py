"""Static files under content-hashed URLs, and the cache lifetimes those earn.

Templates name a static file through `static_url("widget.css")`, which answers
`/static/widget.css?v=<hash of its content>`. A response to exactly that URL may be cached for a
year: a deploy that changes the file changes its URL, so no page is ever served a stale copy.
Any other request for the file (embed.js, which host pages load by a fixed URL, or an old page
asking with an old hash) must be revalidated every time (`no-cache`, answered 304 when the file
is unchanged). The hashes are computed once per file per process: a deploy restarts it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import parse_qs

from starlette.routing import Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.resources import static_dir
from app.transcripts.markdown import code_stylesheet

STATIC_PREFIX = "/static/"
# Served by a route of their own rather than from a file.
GENERATED: dict[str, Callable[[], str]] = {"code.css": code_stylesheet}
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"


@lru_cache(maxsize=128)
def fingerprint(path: str) -> str | None:
    """A short hash of a static file's content; None for a file that does not exist."""
    generate = GENERATED.get(path)
    if generate is not None:
        content = generate().encode()
    else:
        folder = static_dir()
        file = (folder / path).resolve()
        if not file.is_relative_to(folder) or not file.is_file():
            return None
        content = file.read_bytes()
    return hashlib.sha256(content).hexdigest()[:12]


def static_urls(router: Router) -> Callable[[str], str]:
    """`static_url("widget.css")`: a static file's hashed URL under the route named `static`,
    the one place templates get one from. It needs no request, so a partial pushed over a
    stream can use it too."""

    @lru_cache(maxsize=64)  # templates name a handful of files, each rendered on every page
    def static_url(path: str) -> str:
        url = str(router.url_path_for("static", path=path))
        version = fingerprint(path)
        return f"{url}?v={version}" if version else url

    return static_url


class StaticCaching:
    """Cache-Control for /static: a year for the current hashed URL, revalidation otherwise."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope["path"]).removeprefix(STATIC_PREFIX)
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [None])[0]
        current = asked is not None and asked == fingerprint(path)
        policy = IMMUTABLE if current else REVALIDATE

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                headers = [h for h in message.get("headers", []) if h[0] != b"cache-control"]
                message["headers"] = [*headers, (b"cache-control", policy)]
            await send(message)

        await self.app(scope, receive, send_with_policy)
