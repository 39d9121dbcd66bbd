"""An AG-UI endpoint made with ag-ui-protocol's types and EventEncoder, for the `agui` agent
type's tests. POST / takes a RunAgentInput and answers with an event stream. What the last
user message asks for:

- "busy": no stream at all, HTTP 429 with Retry-After;
- "error": some text, then RUN_ERROR;
- "slow": a delta every 0.1 s for a minute (a test's Stop disconnects it);
- "cut": some text, then the stream ends without RUN_FINISHED;
- "code": a fenced Python block;
- "stream N SECONDS": N one-word deltas, SECONDS apart (scripts/bench_agents.py);
- "unstorable": text with a NUL in it, and a NUL in a model name of 300 characters (with
  "error", the RUN_ERROR's message has a NUL too);
- anything else: a short answer naming the thread and how many messages it was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from ag_ui.core import (
    BaseEvent,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    TokenUsage,
)
from ag_ui.encoder import EventEncoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "agui-test-model"


class Runs:
    def __init__(self) -> None:
        self.inputs: list[dict[str, Any]] = []
        self.disconnected = 0
        # Per finished run, when its last text went out (epoch ms): the start of the
        # last-token-to-controls latency the browser measures.
        self.last_text_ms: list[float] = []

    async def run(self, request: Request) -> Response:
        run = RunAgentInput.model_validate_json(await request.body())
        self.inputs.append(run.model_dump(mode="json", by_alias=True))
        if "busy" in str(run.messages[-1].content):
            return JSONResponse({"error": "rate limited"}, 429, {"Retry-After": "30"})
        encoder = EventEncoder(accept=request.headers.get("accept"))

        async def stream() -> AsyncIterator[str]:
            last_text = 0.0
            try:
                async for event in self._events(run):
                    yield encoder.encode(event)
                    if isinstance(event, TextMessageContentEvent):
                        last_text = time.time() * 1000  # resumed: the chunk was sent
                    elif isinstance(event, RunFinishedEvent):
                        self.last_text_ms.append(last_text)
            except asyncio.CancelledError:
                self.disconnected += 1
                raise

        return StreamingResponse(stream(), media_type=encoder.get_content_type())

    async def _events(self, run: RunAgentInput) -> AsyncIterator[BaseEvent]:
        text = str(run.messages[-1].content)
        yield RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id)
        yield TextMessageStartEvent(message_id="m1", role="assistant")
        for piece in self._pieces(run, text):
            await asyncio.sleep(0.05)
            yield TextMessageContentEvent(message_id="m1", delta=piece)
        if text.startswith("stream "):
            _, count, gap = text.split()
            for n in range(int(count)):
                await asyncio.sleep(float(gap))
                yield TextMessageContentEvent(message_id="m1", delta=f"w{n} ")
        if "slow" in text:
            for n in range(600):
                await asyncio.sleep(0.1)
                yield TextMessageContentEvent(message_id="m1", delta=f"part {n} ")
        if "cut" in text:
            return
        if "error" in text:
            said = "The weather\x00 service answered 503." if "unstorable" in text else None
            message = said or "The weather service answered 503."
            yield RunErrorEvent(message=message, code="tool_failed")
            return
        yield TextMessageEndEvent(message_id="m1")
        model = "m\x00" + "x" * 300 if "unstorable" in text else MODEL
        usage = [TokenUsage(model=model, input_tokens=12, output_tokens=9)]
        yield RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id, usage=usage)

    def _pieces(self, run: RunAgentInput, text: str) -> list[str]:
        if "code" in text:
            return [
                "Here it is:\n\n",
                "```python\n",
                "def greet(name):\n",
                '    return f"hi {name}"\n',
                "```\n",
            ]
        if text.startswith("stream "):
            return []
        if "unstorable" in text:
            return ["a NUL\x00 ", "in the reply"]
        if any(word in text for word in ("slow", "cut", "error")):
            return ["Working on it… "]
        return [f"Thread {run.thread_id} ", f"sent {len(run.messages)} messages."]

    async def seen(self, request: Request) -> JSONResponse:
        seen = {
            "inputs": self.inputs,
            "disconnected": self.disconnected,
            "last_text_ms": self.last_text_ms,
        }
        return JSONResponse(seen)


def build_app() -> Starlette:
    runs = Runs()
    return Starlette(
        routes=[Route("/", runs.run, methods=["POST"]), Route("/_test/seen", runs.seen)]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(build_app(), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
