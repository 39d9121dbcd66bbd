"""Trodo `run` items read into a RunRecord: a finished agent run becomes (or updates) a task."""

from __future__ import annotations

import json
import re
from typing import Any

from app.bounds import ID_MAX_CHARS, ID_PATTERN
from app.errors import bad_request
from app.transcripts.service import RunRecord

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


def run_record(run: dict[str, Any], spans: Any) -> RunRecord:
    """A Trodo `run` item as the transcripts service records it."""
    run_id = _identifier(run.get("run_id"), "run_id")
    agent = str(run.get("agent_name") or "")[:255] or None
    user = run.get("distinct_id")
    error = run.get("error_summary")
    return RunRecord(
        run_id=run_id,
        conversation_id=_identifier(run.get("conversation_id") or run_id, "conversation_id"),
        user_id=user if isinstance(user, str) else None,
        agent=agent,
        status=RUN_STATUSES.get(str(run.get("status", "ok")), "completed"),
        request_text=_text(run.get("input")),
        response_text=_text(run.get("output")),
        model=_model(run, spans),
        prompt_version=_prompt_version(run),
        cost=_cost(run),
        error=str(error)[:2000] if error else None,
    )
