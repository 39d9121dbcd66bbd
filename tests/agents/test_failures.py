"""An agent's failure is logged with the upstream's words, but never a credential that its
URL carries (a key in the query, a password in the authority)."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.support.agent_turns import agent, finished, new_chat, send
from tests.support.agents import AgentProcess
from tests.support.harness import HarnessFactory


async def test_a_failing_agent_url_keeps_its_credentials_out_of_the_log(
    make_harness: HarnessFactory, agui_agent: AgentProcess, caplog: pytest.LogCaptureFixture
) -> None:
    password, key = "pw-" + uuid.uuid4().hex, "key-" + uuid.uuid4().hex
    host = agui_agent.url.removeprefix("http://")
    url = f"http://agent:{password}@{host}/?key={key}&region=eu"
    harness = await make_harness(agent=agent("agui", url=url))
    session_id = await new_chat(harness)
    with caplog.at_level(logging.WARNING, logger="app.agents.runner"):
        busy = await finished(harness, await send(harness, session_id, "are you busy?"))

    assert busy.error == "The agent is limiting requests; try again shortly."
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "429" in logged and "region=eu" in logged  # the upstream's words are there
    assert password not in logged and key not in logged, logged
