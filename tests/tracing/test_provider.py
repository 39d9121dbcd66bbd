"""Each app has a TracerProvider of its own: never the process-wide one, flushed when the app
shuts down."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.trace import ProxyTracerProvider

from tests.support import eventually, new_name
from tests.support.agent_turns import finished, new_chat, send
from tests.support.harness import HarnessFactory, served
from tests.support.otlp import OtlpReceiver, otlp_receiver


async def test_two_apps_export_to_their_own_endpoints_and_leave_the_global_alone(
    make_harness: HarnessFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
    with otlp_receiver() as first, otlp_receiver() as second:
        tasks = {}
        for receiver, name in ((first, "widget-a"), (second, "widget-b")):
            harness = await make_harness(
                observability={"otlp": {"endpoint": receiver.url, "service_name": name}}
            )
            session_id = await new_chat(harness)
            tasks[name] = await send(harness, session_id, "Hi")
            await finished(harness, tasks[name])
        for receiver, name in ((first, "widget-a"), (second, "widget-b")):
            await eventually(lambda r=receiver: bool(r.spans), what=f"{name}'s span")
        assert [s.attributes["feedback_widget.task_id"] for s in first.spans] == [tasks["widget-a"]]
        assert [s.attributes["feedback_widget.task_id"] for s in second.spans] == [
            tasks["widget-b"]
        ]
        assert {s.resource["service.name"] for s in first.spans + second.spans} == {
            "widget-a",
            "widget-b",
        }
    assert isinstance(trace.get_tracer_provider(), ProxyTracerProvider)


async def test_shutting_down_exports_the_last_spans(
    otlp: OtlpReceiver, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    # Nothing would be exported for a minute: only the shutdown's flush sends the span.
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "60000")
    options = {"observability": {"otlp": {"endpoint": otlp.url}}, "database_url": sqlite_url}
    async with served(**options) as harness:
        session_id = await new_chat(harness)
        task_id = await send(harness, session_id, new_name("hello"))
        await finished(harness, task_id)
        assert otlp.spans == []
    assert [span.attributes["feedback_widget.task_id"] for span in otlp.spans] == [task_id]
