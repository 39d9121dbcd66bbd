"""The `a2a` and `agui` agent types against real servers built with their SDKs
(tests/support/agent_servers), each a process on a free port."""

from __future__ import annotations

from app.identity import DEV_SCOPES, Identity
from app.transcripts import turns
from tests.support import eventually, free_port
from tests.support.agent_turns import (
    agent,
    finished,
    first_text,
    new_chat,
    reply_on_page,
    send,
    stop,
    stored_task,
    streamed,
)
from tests.support.agents import AgentProcess
from tests.support.harness import HarnessFactory


async def test_a2a_streams_and_keeps_one_context_per_chat(
    make_harness: HarnessFactory, a2a_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("a2a", url=a2a_agent.url))
    session_id = await new_chat(harness)
    first = await finished(harness, await send(harness, session_id, "Where is Oslo?"))
    second_id = await send(harness, session_id, "And Bergen?")
    second = await finished(harness, second_id)

    assert first.status == second.status == "completed"
    assert first.response_text == "Turn 1 of this context. You first said: Where is Oslo?."
    assert second.response_text == "Turn 2 of this context. You first said: Where is Oslo?."
    # The agent saw both messages in one context: the chat's session id.
    assert a2a_agent.seen()["contexts"] == {session_id: ["Where is Oslo?", "And Bergen?"]}
    writes = streamed(harness, second_id)
    assert writes and len(writes[0].response_text) < len(second.response_text)
    stored = await stored_task(harness, session_id, second_id)
    assert stored["agent_type"] == "a2a"


async def test_a2a_failed_task_fails_the_turn_with_the_agents_reason(
    make_harness: HarnessFactory, a2a_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("a2a", url=a2a_agent.url))
    session_id = await new_chat(harness)
    done = await finished(harness, await send(harness, session_id, "please fail"))
    assert done.status == "failed"
    assert done.error == (
        "The agent reported that the task failed: The search tool is down (HTTP 503)."
    )
    assert done.response_text == "Looking that up… "


async def test_a2a_stop_cancels_the_remote_task(
    make_harness: HarnessFactory, a2a_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("a2a", url=a2a_agent.url))
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "slow please")
    await first_text(harness, task_id)
    await stop(harness, session_id, task_id)

    done = await finished(harness, task_id)
    reply = await reply_on_page(harness, session_id, task_id)
    assert reply.select_one("[data-stopped]") is not None
    assert reply.select_one(".feedback") is None and reply.select_one("[data-stop]") is None
    assert done.status == "cancelled"
    assert done.response_text.startswith("part 0 ")
    await eventually(lambda: len(a2a_agent.seen()["cancelled"]) == 1)


async def test_agui_sends_thread_and_history_and_records_the_reported_model(
    make_harness: HarnessFactory, agui_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("agui", url=f"{agui_agent.url}/"))
    session_id = await new_chat(harness)
    first = await finished(harness, await send(harness, session_id, "Hello"))
    second_id = await send(harness, session_id, "Again")
    second = await finished(harness, second_id)

    assert first.response_text == f"Thread {session_id} sent 1 messages."
    assert second.response_text == f"Thread {session_id} sent 3 messages."
    run = agui_agent.seen()["inputs"][1]
    assert run["threadId"] == session_id
    assert [(m["role"], m["content"]) for m in run["messages"]] == [
        ("user", "Hello"),
        ("assistant", first.response_text),
        ("user", "Again"),
    ]
    stored = await stored_task(harness, session_id, second_id)
    # The configuration names no model: this one came from RUN_FINISHED's usage.
    assert (stored["model"], stored["agent_type"]) == ("agui-test-model", "agui")


async def test_agui_run_error_and_a_cut_stream_fail_the_turn(
    make_harness: HarnessFactory, agui_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("agui", url=agui_agent.url))
    session_id = await new_chat(harness)
    failed = await finished(harness, await send(harness, session_id, "an error please"))
    cut = await finished(harness, await send(harness, session_id, "cut it short"))

    assert failed.status == "failed"
    assert failed.error == "The agent reported an error: The weather service answered 503."
    assert cut.status == "failed"
    assert cut.error == "The agent closed the connection mid-reply."
    assert failed.response_text == cut.response_text == "Working on it… "


async def test_agui_rate_limited_and_unreachable(
    make_harness: HarnessFactory, agui_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("agui", url=agui_agent.url))
    session_id = await new_chat(harness)
    busy = await finished(harness, await send(harness, session_id, "are you busy?"))
    assert busy.status == "failed"
    assert busy.error == "The agent is limiting requests; try again shortly."

    port = free_port()
    elsewhere = await make_harness(agent=agent("agui", url=f"http://127.0.0.1:{port}/run"))
    chat = await new_chat(elsewhere)
    gone = await finished(elsewhere, await send(elsewhere, chat, "hello"))
    assert gone.error == f"Could not reach the agent at 127.0.0.1:{port}."


async def test_agui_stop_closes_the_upstream_stream(
    make_harness: HarnessFactory, agui_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("agui", url=agui_agent.url))
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "slow please")
    await first_text(harness, task_id)
    await stop(harness, session_id, task_id)
    done = await finished(harness, task_id)
    assert done.status == "cancelled" and done.response_text.startswith("Working on it")
    await eventually(lambda: agui_agent.seen()["disconnected"] == 1)


async def test_a_stop_recorded_by_another_instance_stops_the_upstream(
    make_harness: HarnessFactory, a2a_agent: AgentProcess
) -> None:
    """With several instances the Stop may reach one that is not running the agent: it
    records the stop, and the running one stops the upstream at its next write."""
    harness = await make_harness(agent=agent("a2a", url=a2a_agent.url))
    session_id = await new_chat(harness)
    task_id = await send(harness, session_id, "slow please")
    await first_text(harness, task_id)
    # What the other instance does: the same unit of work, without a local job to stop.
    owner = Identity(user_id="dev_user", scopes=DEV_SCOPES)
    await turns.stop_turn(
        harness.services.writer, owner, session_id=session_id, task_id=task_id, topic="other"
    )
    await eventually(lambda: len(a2a_agent.seen()["cancelled"]) == 1)
    await eventually(lambda: harness.services.runner.running == 0)
    done = await finished(harness, task_id)
    assert done.status == "cancelled" and done.response_text.startswith("part 0 ")
