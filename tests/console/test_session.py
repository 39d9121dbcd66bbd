"""Console sessions live on the server: signing out ends one on every instance at once, the
cookie holds a random session id and nothing derived from a key, and removing, rotating or
descoping a key, or the end of `admin.session_hours`, still ends its sessions."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from app.config.retention import DataRetentionSettings
from app.db.models import ConsoleSession
from app.retention import run_retention
from tests.support import eventually
from tests.support.console import (
    KEYS,
    OPERATOR_KEY,
    SECRET,
    console_app,
    console_config,
    sign_in,
    stream_status,
)
from tests.support.harness import Harness, HarnessFactory

COOKIE = "fw_console"
# How the console signs its cookie; the tests know the secret, as an attacker would not.
SIGNER = URLSafeTimedSerializer(SECRET, salt="feedback-widget console session")


def copy_of(harness: Harness) -> str:
    return harness.client.cookies[COOKIE]


def replayed(harness: Harness, cookie: str) -> httpx.AsyncClient:
    """A second browser on `harness`'s app holding `cookie`, as whoever copied it would."""
    transport = httpx.ASGITransport(app=harness.asgi)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    client.cookies.set(COOKIE, cookie, path="/admin")
    return client


async def answers(harness: Harness, cookie: str) -> tuple[Any, ...]:
    """What a page, an htmx request and the operators' stream answer with `cookie`."""
    async with replayed(harness, cookie) as client:
        page = await client.get("/admin")
        part = await client.get("/admin/live", headers={"HX-Request": "true"})
    stream = await stream_status(harness, "/admin/events", cookie=f"{COOKIE}={cookie}")
    return (
        page.status_code,
        page.headers.get("location"),
        part.status_code,
        part.headers.get("hx-redirect"),
        stream,
    )


SIGNED_IN = (200, None, 200, None, 200)
SIGNED_OUT = (303, "/admin/login", 401, "/admin/login", 401)


async def sign_out_then_replay(first: Harness, second: Harness) -> None:
    """Sign in on `first`, copy the cookie, sign out on `first`; `second` must refuse it."""
    await sign_in(first)
    copied = copy_of(first)
    assert await answers(second, copied) == SIGNED_IN
    out = await first.client.post("/admin/logout")
    assert (out.status_code, out.headers["location"]) == (303, "/admin/login")
    assert (await first.client.get("/admin")).status_code == 303  # its own cookie is cleared
    assert await answers(first, copied) == SIGNED_OUT
    assert await answers(second, copied) == SIGNED_OUT


async def test_a_cookie_copied_before_sign_out_is_refused_after_it(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    await sign_out_then_replay(harness, harness)


@pytest.mark.postgres
async def test_a_cookie_copied_before_sign_out_is_refused_after_it_on_postgres(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    harness = await console_app(make_harness, database_url=postgres_url)
    await sign_out_then_replay(harness, harness)


@pytest.mark.postgres
async def test_sign_out_on_one_instance_ends_the_session_on_another(
    make_harness: HarnessFactory, postgres_url: str
) -> None:
    """Two instances on one database: the cookie copied from A stops working on B too."""
    first = await console_app(make_harness, database_url=postgres_url)
    second = await console_app(make_harness, database_url=postgres_url)
    await sign_out_then_replay(first, second)


async def test_signing_out_one_session_leaves_the_others(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    kept = copy_of(harness)
    harness.client.cookies.clear()
    await sign_in(harness)
    await harness.client.post("/admin/logout")
    assert await answers(harness, kept) == SIGNED_IN


async def test_the_cookie_holds_only_a_random_session_id(make_harness: HarnessFactory) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    first = SIGNER.loads(copy_of(harness))
    harness.client.cookies.clear()
    await sign_in(harness)
    second = SIGNER.loads(copy_of(harness))
    # Nothing but a 256-bit random id: no key name, no fingerprint, nothing to test guesses on.
    for payload in (first, second):
        assert isinstance(payload, str) and re.fullmatch(r"[A-Za-z0-9_-]{43}", payload), payload
    assert first != second
    # The same name with another key value: a new cookie has the same shape, nothing of the key.
    other = [{"name": "operations", "key": "another-value-0123456789", "scopes": KEYS[0]["scopes"]}]
    changed = await make_harness(**console_config(auth={"mode": "dev", "api_keys": other}))
    await sign_in(changed, "another-value-0123456789")
    third = SIGNER.loads(copy_of(changed))
    assert isinstance(third, str) and re.fullmatch(r"[A-Za-z0-9_-]{43}", third)


async def test_a_re_signed_or_invented_session_id_opens_nothing(
    make_harness: HarnessFactory,
) -> None:
    """Even with the signing secret, a session id the server did not issue is refused, and so
    is the payload the old cookie carried (key name and fingerprint)."""
    harness = await console_app(make_harness)
    await sign_in(harness)
    invented = SIGNER.dumps("A" * 43)
    old_shape = SIGNER.dumps({"k": "operations", "f": "0" * 16})
    for cookie in (invented, old_shape):
        assert await answers(harness, cookie) == SIGNED_OUT


async def key_change_ends_sessions(
    make_harness: HarnessFactory, keys: list[dict[str, Any]]
) -> None:
    """Two instances of one database (the test's), the second with `keys` instead: the
    first's cookie is refused by the second."""
    harness = await console_app(make_harness)
    await sign_in(harness)
    later = await make_harness(**console_config(auth={"mode": "dev", "api_keys": keys}))
    assert await answers(later, copy_of(harness)) == SIGNED_OUT
    assert await answers(harness, copy_of(harness)) == SIGNED_IN  # the old config still has it


async def test_rotating_the_key_ends_its_sessions(make_harness: HarnessFactory) -> None:
    rotated = [{**KEYS[0], "key": "a-brand-new-key-01234"}]
    await key_change_ends_sessions(make_harness, rotated)


async def test_removing_the_key_ends_its_sessions(make_harness: HarnessFactory) -> None:
    await key_change_ends_sessions(make_harness, [KEYS[1]])


async def test_taking_the_scope_away_ends_its_sessions(make_harness: HarnessFactory) -> None:
    await key_change_ends_sessions(make_harness, [{**KEYS[0], "scopes": ["feedback:read"]}])


async def test_a_session_ends_after_session_hours_whatever_the_cookie_says(
    make_harness: HarnessFactory,
) -> None:
    hours = 1.5 / 3600  # a second and a half
    harness = await console_app(make_harness, admin={"secret": SECRET, "session_hours": hours})
    await sign_in(harness)
    cookie = copy_of(harness)
    assert await answers(harness, cookie) == SIGNED_IN

    async def expired() -> bool:
        return (await answers(harness, cookie))[0] == 303

    await eventually(expired, within=10, what="the session to expire")
    assert await answers(harness, cookie) == SIGNED_OUT
    # A fresh signature on the same session id does not bring it back: the server's record
    # of the session ends it.
    assert await answers(harness, SIGNER.dumps(SIGNER.loads(cookie))) == SIGNED_OUT


async def test_an_operator_key_still_signs_in_after_signing_out(
    make_harness: HarnessFactory,
) -> None:
    harness = await console_app(make_harness)
    await sign_in(harness)
    await harness.client.post("/admin/logout")
    await sign_in(harness, OPERATOR_KEY)
    assert (await harness.client.get("/admin")).status_code == 200


async def test_retention_deletes_sessions_that_are_over_and_keeps_live_ones(
    make_harness: HarnessFactory,
) -> None:
    # Passes run here when the test says, not at startup.
    manual = {"data_retention": {"enabled": False}}
    harness = await console_app(make_harness, **manual)
    brief = await console_app(
        make_harness, admin={"secret": SECRET, "session_hours": 1 / 3600}, **manual
    )
    await sign_in(harness)
    live = copy_of(harness)
    harness.client.cookies.clear()
    await sign_in(harness)
    await harness.client.post("/admin/logout")  # one ended
    await sign_in(brief)
    expiring = copy_of(brief)

    async def expired() -> bool:
        return (await answers(brief, expiring))[0] == 303

    await eventually(expired, within=10, what="the short session to expire")
    counts = await run_retention(harness.services.writer, DataRetentionSettings())
    assert counts.console_sessions == 2
    assert await harness.rows(select(ConsoleSession.key_name)) == [("operations",)]
    assert await answers(harness, live) == SIGNED_IN
