"""Answering a feedback link: the credential-free surface a host page's browser talks to.

The same two endpoints serve our links (`/api/v1/feedback/ingest/{token}`) and VoltAgent's
(`/compat/voltagent/api/public/feedback/ingest/{token}`); both route tables mount them, open
to any origin and charged to the feedback budget. The link's secret is the credential.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.feedback.links import answer_json, describe_link, read_answer, redeem_link
from app.web.parsing import read_json
from app.web.responses import JSONResponse
from app.web.state import services


async def link_state(request: Request) -> Response:
    """What a host page needs to draw the link's controls, and whether it was answered."""
    return JSONResponse(await describe_link(services(request).db, request.path_params["token"]))


async def ingest(request: Request) -> Response:
    """The browser's answer to a link: no credential, any origin."""
    answer = read_answer(await read_json(request))
    svc = services(request)
    stored = await redeem_link(svc.writer, svc.feedback, request.path_params["token"], answer)
    return JSONResponse(answer_json(stored), status_code=201)
