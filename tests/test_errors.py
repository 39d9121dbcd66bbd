"""Every JSON error has one shape, whatever produced it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.requests import Request
from starlette.routing import Route

from tests.support.harness import Harness, HarnessFactory


def assert_error_shape(answer: dict[str, Any], status: int) -> None:
    assert isinstance(answer["detail"], str) and answer["detail"].endswith(".")
    assert isinstance(answer["code"], str) and answer["code"]
    if status == 422:
        assert answer["errors"] and all({"loc", "msg"} <= set(e) for e in answer["errors"])


JSON = {"content-type": "application/json"}
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/api/v1/feedback", {"content": b"{", "headers": JSON}, 400),
        ("POST", "/api/v1/feedback", {"content": b"[]", "headers": JSON}, 422),
        ("POST", "/api/v1/feedback", {"content": b"taskId=1", "headers": FORM}, 415),
        ("POST", "/api/v1/feedback", {"content": b"\xff\xfe", "headers": JSON}, 400),
        ("POST", "/api/v1/feedback", {"json": {}}, 422),
        ("GET", "/api/v1/nothing-here", {}, 404),
        ("DELETE", "/api/v1/feedback", {}, 405),
        ("POST", "/api/v1/sessions", {"content": b"x" * 70_000, "headers": JSON}, 413),
    ],
)
async def test_client_errors_share_one_shape(
    harness: Harness, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = await harness.client.request(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert_error_shape(response.json(), status)


async def test_streamed_body_over_limit_is_413(harness: Harness) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 8192

    response = await harness.client.post(
        "/api/v1/sessions", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


async def test_unexpected_failure_is_500_in_the_same_shape(make_harness: HarnessFactory) -> None:
    harness = await make_harness()

    async def broken(request: Request) -> None:
        raise RuntimeError("boom")

    harness.app.router.routes.insert(0, Route("/api/v1/broken", broken))
    # Starlette re-raises after answering so the server can log it; answer is what we check.
    transport = httpx.ASGITransport(app=harness.asgi, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on our side; please try again.",
        "code": "internal_error",
    }


async def test_html_pages_get_an_html_error_page(harness: Harness) -> None:
    response = await harness.client.get("/chat/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Session with ID &#39;does-not-exist&#39; not found." in response.text
