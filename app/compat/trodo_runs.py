"""Trodo `run` items: a finished agent run becomes (or updates) one of our tasks."""

from __future__ import annotations

import json
import re
from typing import Any

from app.compat.common import bad_request
from app.events import TaskCreated, TaskFinished
from app.models import FINISHED_STATUSES, ID_MAX_CHARS, ID_PATTERN, ChatSession
from app.state import Services
from app.store import sessions as session_store
from app.store import tasks as task_store
from app.store.feedback import find_task
from app.views_model import TaskView

RUN_STATUSES = {"ok": "completed", "error": "failed", "running": "running"}
_IDENTIFIER = re.compile(ID_PATTERN)


def _identifier(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) > ID_MAX_CHARS or not _IDENTIFIER.match(value):
        raise bad_request(f"run.{field} must be an id of letters, digits and _ . : -.", field)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _mapping(run: dict[str, Any], name: str) -> dict[str, Any]:
    value = run.get(name)
    return value if isinstance(value, dict) else {}


def _model(run: dict[str, Any], spans: Any) -> str | None:
    for span in spans if isinstance(spans, list) else []:
        if isinstance(span, dict) and isinstance(span.get("model"), str):
            return str(span["model"])[:255]
    model = _mapping(run, "metadata").get("model")
    return str(model)[:255] if model else None


def _prompt_version(run: dict[str, Any]) -> str | None:
    prompts = _mapping(run, "attributes").get("trodo.prompts")
    if isinstance(prompts, list) and prompts:
        first = prompts[0]
        if isinstance(first, dict):
            name, version = first.get("name"), first.get("version")
            return f"{name}@{version}"[:255] if name and version else str(name or version)[:255]
        return str(first)[:255]
    version = _mapping(run, "metadata").get("prompt_version")
    return str(version)[:255] if version else None


def _cost(run: dict[str, Any]) -> float | None:
    cost = run.get("total_cost")
    return float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None


async def record_run(services: Services, run: dict[str, Any], spans: Any) -> str:
    """Create the run's task (and its conversation) or fill in what a later item adds."""
    run_id = _identifier(run.get("run_id"), "run_id")
    status = RUN_STATUSES.get(str(run.get("status", "ok")), "completed")
    conversation = _identifier(run.get("conversation_id") or run_id, "conversation_id")
    user = run.get("distinct_id") if isinstance(run.get("distinct_id"), str) else None
    agent = str(run.get("agent_name") or "")[:255] or None
    async with services.writer.transaction() as tx:
        task = await find_task(tx.session, run_id)
        if task is None:
            chat = await tx.session.get(ChatSession, conversation)
            if chat is None:
                chat = await session_store.create_session(
                    tx.session, user_id=user or "trodo:anonymous", session_id=conversation,
                    agent_id=agent,
                )  # fmt: skip
            task = await task_store.create_task(
                tx.session,
                chat_session=chat,
                task_id=run_id,
                trace_id=run_id,
                request_text=_text(run.get("input")) or f"({agent or 'agent'} run)",
                response_text=_text(run.get("output")),
                status="running",
                agent_id=agent,
                model=_model(run, spans),
                prompt_version=_prompt_version(run),
                cost=_cost(run),
            )
            tx.emit(TaskCreated(TaskView.of(task)))
        else:
            task.model = _model(run, spans) or task.model
            task.prompt_version = _prompt_version(run) or task.prompt_version
            task.cost = _cost(run) if _cost(run) is not None else task.cost
        if status in FINISHED_STATUSES and not task.finished:
            await task_store.update_task(
                tx.session,
                task=task,
                response_text=_text(run.get("output")) or None,
                status=status,
                error=str(run.get("error_summary"))[:2000] if run.get("error_summary") else None,
            )
            tx.emit(TaskFinished(TaskView.of(task)))
        return task.id
