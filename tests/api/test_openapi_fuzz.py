"""Schemathesis fuzzes every JSON endpoint from /openapi.json against a real server.

Whatever it sends, the answer is never a 5xx, and every error has the standard shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.api.openapi import openapi_document
from tests.support import config_dict, running_server, write_config

schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    config = config_dict(database_url=f"sqlite:///{folder / 'fuzz.db'}")
    with running_server(write_config(folder / "fuzz.yaml", config)) as url:
        yield url


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_error_in_the_standard_shape(
    case: schemathesis.Case, fuzz_server: str
) -> None:
    response = case.call(base_url=fuzz_server, timeout=10)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/json")
        body = response.json()
        assert isinstance(body["detail"], str) and body["detail"]
        assert isinstance(body["code"], str) and body["code"]
        if response.status_code == 422:
            assert all({"loc", "msg"} <= set(error) for error in body["errors"])
