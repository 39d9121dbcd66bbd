"""Training datasets made from feedback, as JSON Lines downloads: the feedback listing's
filters, for a key that reads everyone's feedback (`feedback:read:all`)."""

from __future__ import annotations

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
    """Replies rated up, each with its conversation: OpenAI's chat fine-tuning format."""
    return await _dataset(request, "sft")


async def preferences_dataset(request: Request) -> Response:
    """A retried message's two answers, one rated up and one down: TRL's DPO shape."""
    return await _dataset(request, "preferences")
