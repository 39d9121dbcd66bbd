"""Training datasets made from feedback, as JSON Lines downloads: the feedback listing's
filters, for a key that reads everyone's feedback (`feedback:read:all`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app.api.feedback import readable_filter, reader
from app.api.schemas import FeedbackQuery
from app.datasets.export import dataset_file, system_prompt_of
from app.web.parsing import query_params
from app.web.responses import download
from app.web.state import services


async def _dataset(request: Request, kind: str) -> Response:
    query = query_params(request, FeedbackQuery)
    svc = services(request)
    identity, start_ms, end_ms = reader(request)
    identity.require("feedback:read:all")
    where = await svc.db.read(lambda conn: readable_filter(conn, identity, query, start_ms, end_ms))
    return download(dataset_file(svc.db.read, kind, where, system_prompt_of(svc.config.agent)))


async def sft_dataset(request: Request) -> Response:
    """Corrected answers and replies rated up, each with its conversation: OpenAI's chat
    fine-tuning format."""
    return await _dataset(request, "sft")


async def preferences_dataset(request: Request) -> Response:
    """A corrected answer against the reply rated down, and a retried message's two answers,
    one rated up and one down: TRL's DPO shape."""
    return await _dataset(request, "preferences")


def dataset_paths(filters: list[dict[str, Any]], errors: dict[str, Any]) -> dict[str, Any]:
    """The datasets' entries in the OpenAPI document."""
    lines = {
        "sft": "One `{id, source_feedback_ids, messages}` object per line (OpenAI chat "
        "fine-tuning format): the system prompt when the agent has one, the chat's earlier "
        "completed turns (an answer a Retry replaced left out), the user's message, and as the "
        "final assistant message either a reviewer's corrected answer (whatever the rating; "
        "it replaces the reply) or a reply rated up whose review did not dismiss it. A reply "
        "rated down without a correction never appears. The id is the feedback's: a "
        "correction keeps the id of the example it replaces.",
        "preferences": "One `{id, source_feedback_ids, prompt, chosen, rejected}` object per "
        "line (TRL's conversational preference shape): a reviewer's corrected answer (chosen) "
        "against the reply rated down that it corrects (rejected), one source feedback; and a "
        "message answered twice through Retry, one answer rated up (chosen) and the other "
        "down (rejected), both source feedbacks, older first, neither rating dismissed by a "
        "reviewer.",
    }
    summaries = {
        "sft": "Supervised fine-tuning examples from corrected answers and replies rated up, "
        "streamed as JSON Lines",
        "preferences": "Preference pairs from corrected answers and retried replies, "
        "streamed as JSON Lines",
    }
    return {
        f"/api/v1/datasets/{kind}.jsonl": {
            "get": {
                "summary": summaries[kind],
                "description": lines[kind] + " Needs a key with `feedback:read:all`; newest "
                "feedback first, the same lines in the same order on every export.",
                "parameters": filters,
                "responses": {
                    "200": {
                        "description": "The file (Content-Disposition: attachment)",
                        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                    },
                    **errors,
                },
            }
        }
        for kind in ("sft", "preferences")
    }
