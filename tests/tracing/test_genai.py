"""Each turn the widget's agent runs is one GenAI span, exported over OTLP/HTTP to a real
endpoint (tests/support/otlp.py; Phoenix's own test: tests/publishing/test_phoenix.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.db.models import Task
from tests.support import eventually
from tests.support.agent_turns import agent, finished, model_server, new_chat, send
from tests.support.agents import LLAMA_MODEL_NAME, AgentProcess
from tests.support.harness import Harness, HarnessFactory
from tests.support.otlp import OtlpReceiver, ReceivedSpan

CLIENT, ERROR = 3, 2  # OTLP's SpanKind.CLIENT and StatusCode.ERROR


@pytest.fixture(autouse=True)
def _export_spans_soon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")


def tracing(otlp: OtlpReceiver, **otlp_keys: Any) -> dict[str, Any]:
    return {"observability": {"otlp": {"endpoint": otlp.url, **otlp_keys}}}


async def exported(otlp: OtlpReceiver, task_id: str) -> ReceivedSpan:
    await eventually(lambda: otlp.span_of(task_id) is not None, what=f"{task_id}'s span")
    span = otlp.span_of(task_id)
    assert span is not None
    return span


async def turn(harness: Harness, session_id: str, text: str) -> str:
    task_id = await send(harness, session_id, text)
    await finished(harness, task_id)
    return task_id


async def stored_span(harness: Harness, task_id: str) -> tuple[str | None, str | None]:
    query = select(Task.otel_trace_id, Task.otel_span_id).where(Task.id == task_id)
    ((trace_id, span_id),) = await harness.rows(query)
    return trace_id, span_id


async def test_a_turn_is_a_genai_client_span_and_its_task_keeps_the_ids(
    make_harness: HarnessFactory, otlp: OtlpReceiver
) -> None:
    harness = await make_harness(
        **tracing(otlp, headers={"x-team": "chat-ops"}, service_name="support-widget")
    )
    session_id = await new_chat(harness)
    task_id = await turn(harness, session_id, "Hello")
    span = await exported(otlp, task_id)

    assert (span.name, span.kind, span.status_code) == ("chat echo-1", CLIENT, 0)
    assert span.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "echo",
        "gen_ai.system": "echo",
        "gen_ai.agent.name": "Echo agent",
        "gen_ai.request.model": "echo-1",
        "gen_ai.response.model": "echo-1",
        "gen_ai.conversation.id": session_id,
        "feedback_widget.session_id": session_id,
        "feedback_widget.task_id": task_id,
        "feedback_widget.task_status": "completed",
        "openinference.span.kind": "LLM",
    }
    assert span.resource["service.name"] == "support-widget"
    assert span.resource["openinference.project.name"] == "support-widget"
    assert all(headers.get("x-team") == "chat-ops" for headers in otlp.headers)
    assert await stored_span(harness, task_id) == (span.trace_id, span.span_id)


async def test_a_failed_turn_is_an_error_span(
    make_harness: HarnessFactory, otlp: OtlpReceiver
) -> None:
    harness = await make_harness(**tracing(otlp))
    session_id = await new_chat(harness)
    task_id = await turn(harness, session_id, "/fail now")
    span = await exported(otlp, task_id)
    assert (span.status_code, span.attributes["error.type"]) == (ERROR, "agent_error")
    assert "asked to fail" in span.status_message
    assert span.attributes["feedback_widget.task_status"] == "failed"


async def test_without_an_endpoint_nothing_is_traced(
    make_harness: HarnessFactory, otlp: OtlpReceiver
) -> None:
    traced = await make_harness(**tracing(otlp))
    untraced = await make_harness()
    ids = []
    for harness in (traced, untraced):
        session_id = await new_chat(harness)
        ids.append(await turn(harness, session_id, "Hi"))
    await exported(otlp, ids[0])
    assert await stored_span(untraced, ids[1]) == (None, None)
    assert otlp.span_of(ids[1]) is None


async def test_an_agui_run_reports_its_model_and_tokens(
    make_harness: HarnessFactory, otlp: OtlpReceiver, agui_agent: AgentProcess
) -> None:
    harness = await make_harness(agent=agent("agui", url=agui_agent.url), **tracing(otlp))
    session_id = await new_chat(harness)
    span = await exported(otlp, await turn(harness, session_id, "Hello"))
    # No model configured: the span is named once the run is over, by the request's model.
    assert span.name == "chat"
    assert {name: span.attributes.get(name) for name in USAGE} == {
        "gen_ai.provider.name": "ag-ui",
        "gen_ai.response.model": "agui-test-model",
        "gen_ai.usage.input_tokens": 12,  # what the test agent's RUN_FINISHED counts
        "gen_ai.usage.output_tokens": 9,
        "openinference.span.kind": "AGENT",
    }


USAGE = (
    "gen_ai.provider.name",
    "gen_ai.response.model",
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.output_tokens",
    "openinference.span.kind",
)


async def test_an_openai_compatible_server_is_the_openai_provider(
    make_harness: HarnessFactory, otlp: OtlpReceiver, llama: AgentProcess
) -> None:
    harness = await make_harness(agent=model_server(llama.url), **tracing(otlp))
    session_id = await new_chat(harness)
    span = await exported(otlp, await turn(harness, session_id, "Say hello."))
    assert span.name == f"chat {LLAMA_MODEL_NAME}"
    assert span.attributes["gen_ai.provider.name"] == "openai"
    assert span.attributes["gen_ai.response.model"] == LLAMA_MODEL_NAME
