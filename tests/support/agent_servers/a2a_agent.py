"""An A2A agent made with a2a-sdk's server classes, for the `a2a` agent type's tests.

It streams its answer as artifact chunks and remembers every context's messages, so a test
can see that a chat keeps one contextId. What a message asks for:

- "fail": the task ends `failed`, with a reason;
- "slow": parts every 0.1 s for a minute, unless cancelled (Stop);
- "code": a fenced Python block;
- anything else: "Turn N of this context." plus the context's first message.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import uvicorn
from a2a.helpers.proto_helpers import get_message_text, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill, Part
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class MemoryAgent(AgentExecutor):
    def __init__(self) -> None:
        self.contexts: dict[str, list[str]] = {}
        self.cancelled: list[str] = []
        self.finished: list[str] = []

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.message is not None and context.context_id and context.task_id
        text = get_message_text(context.message)
        said = self.contexts.setdefault(context.context_id, [])
        said.append(text)
        if context.current_task is None:
            await event_queue.enqueue_event(new_task_from_user_message(context.message))
        updater = TaskUpdater(event_queue, context.task_id, context.context_id)
        await updater.start_work()
        try:
            await self._answer(updater, text, said)
        except asyncio.CancelledError:
            self.cancelled.append(context.task_id)
            raise
        self.finished.append(context.task_id)

    async def _answer(self, updater: TaskUpdater, text: str, said: list[str]) -> None:
        if "fail" in text:
            await updater.add_artifact([Part(text="Looking that up… ")], artifact_id="answer")
            reason = updater.new_agent_message([Part(text="The search tool is down (HTTP 503).")])
            await updater.failed(reason)
            return
        if "slow" in text:
            for n in range(600):
                await updater.add_artifact(
                    [Part(text=f"part {n} ")], artifact_id="answer", append=n > 0
                )
                await asyncio.sleep(0.1)
            await updater.complete()
            return
        if "code" in text:
            parts = [
                "Here it is:\n\n",
                "```python\n",
                "def greet(name):\n",
                '    return f"hi {name}"\n',
                "```\n",
            ]
        else:
            parts = [f"Turn {len(said)} of this context. ", "You first said: ", f"{said[0]}."]
        for n, piece in enumerate(parts):
            await updater.add_artifact([Part(text=piece)], artifact_id="answer", append=n > 0)
            await asyncio.sleep(0.05)
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        assert context.task_id and context.context_id
        await TaskUpdater(event_queue, context.task_id, context.context_id).cancel()


def build_app(base_url: str) -> Starlette:
    agent = MemoryAgent()
    card = AgentCard(
        name="Memory agent",
        description="Streams its answers and remembers each context.",
        version="1.0.0",
        supported_interfaces=[
            AgentInterface(protocol_binding="JSONRPC", url=base_url, protocol_version="1.0")
        ],
        capabilities=AgentCapabilities(streaming=True),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[AgentSkill(id="chat", name="Chat", description="Answers.", tags=["chat"])],
    )
    handler = DefaultRequestHandler(
        agent_executor=agent, task_store=InMemoryTaskStore(), agent_card=card
    )

    async def seen(request: Request) -> JSONResponse:
        report: dict[str, Any] = {
            "contexts": agent.contexts,
            "cancelled": agent.cancelled,
            "finished": agent.finished,
        }
        return JSONResponse(report)

    routes = [
        *create_agent_card_routes(card),
        *create_jsonrpc_routes(handler, rpc_url="/"),
        Route("/_test/seen", seen),
    ]
    return Starlette(routes=routes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    port = parser.parse_args().port
    uvicorn.run(
        build_app(f"http://127.0.0.1:{port}/"), host="127.0.0.1", port=port, log_level="warning"
    )


if __name__ == "__main__":
    main()
