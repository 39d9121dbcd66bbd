"""The span of one agent turn, after OpenTelemetry's semantic conventions for generative AI: a
CLIENT span named `chat {model}` with the `gen_ai.*` attributes, plus the widget's session and
task ids, so the team that owns the agent finds each turn (and, in Phoenix, its feedback)
beside the agent's own traces."""

from __future__ import annotations

from dataclasses import dataclass

from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.util.types import AttributeValue

OPERATION = "chat"
# gen_ai.provider.name (and the older gen_ai.system) by agent type. An OpenAI-compatible
# server speaks OpenAI's API, which is what the convention's `openai` names.
PROVIDERS = {"openai": "openai", "a2a": "a2a", "agui": "ag-ui", "echo": "echo"}
# Phoenix's own span kind (OpenInference): a model call, or an agent behind a protocol.
OPENINFERENCE_KINDS = {"a2a": "AGENT", "agui": "AGENT"}


@dataclass(frozen=True)
class SpanIds:
    """A span's ids as hex, the way OTLP backends show and look them up."""

    trace_id: str  # 32 hex digits
    span_id: str  # 16 hex digits


@dataclass(frozen=True)
class TurnOutcome:
    status: str  # completed, failed or cancelled
    error: str | None = None  # the one-line message a failed turn shows
    error_type: str | None = None  # a low-cardinality kind of failure
    response_model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


class TurnSpans:
    """Starts and ends the span of each turn one agent runs."""

    def __init__(self, tracer: Tracer, *, agent_name: str, agent_type: str) -> None:
        self._tracer = tracer
        self._agent_name = agent_name
        self._provider = PROVIDERS.get(agent_type, agent_type)
        self._kind = OPENINFERENCE_KINDS.get(agent_type, "LLM")

    def start(self, *, session_id: str, task_id: str, model: str | None) -> Span:
        attributes: dict[str, AttributeValue] = {
            "gen_ai.operation.name": OPERATION,
            "gen_ai.provider.name": self._provider,
            "gen_ai.system": self._provider,
            "gen_ai.agent.name": self._agent_name,
            "gen_ai.conversation.id": session_id,
            "feedback_widget.session_id": session_id,
            "feedback_widget.task_id": task_id,
            "openinference.span.kind": self._kind,
        }
        if model:
            attributes["gen_ai.request.model"] = model
        name = f"{OPERATION} {model}" if model else OPERATION
        return self._tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)


def span_ids(span: Span) -> SpanIds | None:
    context = span.get_span_context()
    if not context.is_valid:
        return None
    return SpanIds(format(context.trace_id, "032x"), format(context.span_id, "016x"))


def end_turn_span(span: Span, outcome: TurnOutcome) -> None:
    """Record how the turn ended and end its span (then it is queued for export)."""
    attributes: dict[str, AttributeValue] = {"feedback_widget.task_status": outcome.status}
    if outcome.response_model:
        attributes["gen_ai.response.model"] = outcome.response_model
    if outcome.input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = outcome.input_tokens
    if outcome.output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = outcome.output_tokens
    if outcome.status == "failed":
        attributes["error.type"] = outcome.error_type or "agent_error"
        span.set_status(Status(StatusCode.ERROR, outcome.error))
    span.set_attributes(attributes)
    span.end()
