"""The `openai` agent type against a real model: llama.cpp's OpenAI-compatible server running
SmolLM2-135M on this machine (tests/support/agents.py). Nothing is mocked."""

from __future__ import annotations

import logging
import time
import uuid

import pytest

from app.agents.runner import FLUSH_SECONDS
from tests.support import free_port
from tests.support.agent_turns import (
    finished,
    first_text,
    model_server,
    new_chat,
    send,
    stored_task,
    streamed,
)
from tests.support.agents import (
    LLAMA_MODEL_NAME,
    AgentProcess,
    prompt_sizes,
    start_llama,
)
from tests.support.harness import HarnessFactory


async def test_a_reply_streams_in_coalesced_writes_and_records_the_model(
    make_harness: HarnessFactory, llama: AgentProcess
) -> None:
    harness = await make_harness(agent=model_server(llama.url, max_tokens=48))
    session_id = await new_chat(harness)
    started = time.monotonic()
    task_id = await send(harness, session_id, "Write two sentences about the sea.")
    done = await finished(harness, task_id)
    elapsed = time.monotonic() - started

    assert done.status == "completed", done.error
    assert len(done.response_text.split()) >= 5
    writes = streamed(harness, task_id)
    # It streamed: text was shown before the end, growing...
    assert writes and writes[0].response_text
    assert [len(w.response_text) for w in writes] == sorted(len(w.response_text) for w in writes)
    # ...in writes at most every FLUSH_SECONDS, never one per token (48 tokens here).
    assert len(writes) <= elapsed / FLUSH_SECONDS + 2
    stored = await stored_task(harness, session_id, task_id)
    assert stored["model"] == LLAMA_MODEL_NAME
    assert stored["agent_type"] == "openai"

    # A completed reply takes feedback, as any other.
    response = await harness.client.post(
        f"/chat/{session_id}/feedback", data={"task_id": task_id, "rating": "up"}
    )
    assert response.status_code == 303
    rows = (await harness.client.get("/api/v1/feedback", params={"task_id": task_id})).json()
    assert [row["rating"] for row in rows] == ["up"]


async def test_earlier_turns_are_sent_as_messages(
    make_harness: HarnessFactory, llama: AgentProcess
) -> None:
    harness = await make_harness(
        agent=model_server(llama.url, system_prompt="You are terse.", max_tokens=16)
    )
    session_id = await new_chat(harness)
    before = len(prompt_sizes(llama))
    first = await send(harness, session_id, "My cat is called Pixel.")
    assert (await finished(harness, first)).status == "completed"
    second = await send(harness, session_id, "What is my cat called?")
    assert (await finished(harness, second)).status == "completed"

    # The server's own log: each request's prompt, as tokens reused from the previous one's
    # cache plus tokens evaluated anew. The second prompt starts with the whole first one
    # (system prompt, first message, the answer): history was sent.
    sizes = prompt_sizes(llama)[before:]
    assert len(sizes) == 2, llama.log()[-2000:]
    (_, first_size), (second_reused, second_size) = sizes
    assert second_reused >= first_size - 1
    assert second_size > first_size + 5


async def test_a_wrong_api_key_fails_the_turn_with_a_message_and_logs_no_key(
    make_harness: HarnessFactory, llama: AgentProcess, caplog: pytest.LogCaptureFixture
) -> None:
    wrong_key = "wrong-" + uuid.uuid4().hex
    harness = await make_harness(agent=model_server(llama.url, api_key=wrong_key))
    session_id = await new_chat(harness)
    with caplog.at_level(logging.WARNING, logger="app.agents.runner"):
        done = await finished(harness, await send(harness, session_id, "Hello"))

    assert done.status == "failed"
    assert done.error == "The model server refused the API key (HTTP 401)."
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("401" in message for message in warnings)
    assert not any(wrong_key in r.getMessage() for r in caplog.records)


async def test_a_port_nobody_listens_on(make_harness: HarnessFactory) -> None:
    port = free_port()
    harness = await make_harness(agent=model_server(f"http://127.0.0.1:{port}"))
    session_id = await new_chat(harness)
    done = await finished(harness, await send(harness, session_id, "Hello"))
    assert done.status == "failed"
    assert done.error == f"Could not reach the model server at 127.0.0.1:{port}."


async def test_a_timeout(make_harness: HarnessFactory, llama: AgentProcess) -> None:
    # A long system prompt the server has not cached takes it well over 0.3 s to read.
    prompt = uuid.uuid4().hex + " You answer in one short sentence. " * 40
    harness = await make_harness(
        agent=model_server(llama.url, system_prompt=prompt, timeout_seconds=0.3)
    )
    session_id = await new_chat(harness)
    done = await finished(harness, await send(harness, session_id, "Hello"))
    assert done.status == "failed"
    assert done.error == "No answer within 0.3 s."


async def test_a_stream_cut_mid_reply_keeps_the_text_so_far(
    make_harness: HarnessFactory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    own = start_llama(tmp_path_factory.mktemp("cut"), api_key=None)  # this one will die
    try:
        harness = await make_harness(agent=model_server(own.url, api_key=None, max_tokens=400))
        session_id = await new_chat(harness)
        task_id = await send(harness, session_id, "Tell me a long story about a lighthouse.")
        await first_text(harness, task_id)
        own.kill()
        done = await finished(harness, task_id)
    finally:
        own.stop()
    assert done.status == "failed"
    assert done.error == "The model server closed the connection mid-reply."
    assert done.response_text
