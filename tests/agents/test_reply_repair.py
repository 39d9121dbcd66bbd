"""An agent's reply is the one text the server cannot refuse: the user is waiting for it. What
the boundary rule would refuse in it (a NUL, a lone surrogate) is replaced with U+FFFD, as a
decoder replaces what it cannot read, so the turn is stored and ends on either database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support import eventually
from tests.support.agent_turns import agent, new_chat, send
from tests.support.agents import AgentProcess
from tests.support.databases import DATABASES, database_url
from tests.support.harness import Harness, HarnessFactory


@pytest.fixture(params=DATABASES)
async def database(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[str]:
    async with database_url(request.param, sqlite_url) as url:
        yield url


async def turn(app: Harness, session_id: str, task_id: str) -> dict[str, object]:
    """The turn as the transcript shows it, once it has ended."""

    async def ended() -> bool:
        listed = await app.client.get(f"/api/v1/sessions/{session_id}/tasks")
        return any(t["id"] == task_id and t["status"] != "running" for t in listed.json())

    await eventually(ended, within=20, what="the turn to end")
    listed = await app.client.get(f"/api/v1/sessions/{session_id}/tasks")
    (found,) = [t for t in listed.json() if t["id"] == task_id]
    return dict(found)


async def test_a_reply_and_a_model_name_with_a_nul_are_repaired_and_stored(
    database: str, make_harness: HarnessFactory, agui_agent: AgentProcess
) -> None:
    app = await make_harness(database_url=database, agent=agent("agui", url=agui_agent.url))
    session_id = await new_chat(app)
    task = await turn(app, session_id, await send(app, session_id, "unstorable"))
    assert (task["status"], task["response_text"]) == ("completed", "a NUL\ufffd in the reply")
    assert task["model"] == "m\ufffd" + "x" * 253  # and cut to the 255 its column holds
    page = await app.client.get(f"/chat/{session_id}")
    assert page.status_code == 200 and "a NUL\ufffd in the reply" in page.text


async def test_an_error_message_with_a_nul_is_repaired_and_stored(
    database: str, make_harness: HarnessFactory, agui_agent: AgentProcess
) -> None:
    app = await make_harness(database_url=database, agent=agent("agui", url=agui_agent.url))
    session_id = await new_chat(app)
    task = await turn(app, session_id, await send(app, session_id, "unstorable error"))
    assert task["status"] == "failed"
    assert task["error"] == "The agent reported an error: The weather\ufffd service answered 503."
