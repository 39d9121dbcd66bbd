"""One error shape, `{"detail", "code"[, "errors"]}`, rendered as each surface needs it.

Each mount declares its surface (`web/middleware/surface.py`): the JSON API, a feedback SDK
dialect (which reads its message from its own field and expects 400 where we say 422), or
the HTML pages (an error page, or plain text for htmx). Nothing here looks at the URL.
"""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from markupsafe import escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from app.errors import APIError
from app.i18n.catalogs import N_, translator
from app.i18n.formats import number
from app.web.languages import page_locale
from app.web.request_log import REQUEST_ID_HEADER, loggable_path, request_id_of
from app.web.responses import JSONResponse
from app.web.state import Services

log = logging.getLogger(__name__)
SURFACE_KEY = "feedback_widget.surface"

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    501: "not_implemented",
}
_HTTP_DETAILS = {
    404: N_("The requested resource was not found."),
    405: N_("This method is not allowed on this URL."),
}


def too_large(limit: int) -> APIError:
    return APIError(
        413, "payload_too_large", f"The request body is larger than the limit of {limit} bytes."
    )


def error_body(error: APIError) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": error.detail, "code": error.code}
    if error.status_code == 422 or error.errors:
        body["errors"] = error.errors
    for name, value in error.extra.items():  # adds members, never replaces the shape's own
        body.setdefault(name, value)
    return body


def _dialect(surface: str, error: APIError) -> Response:
    """Our shape, plus the field each SDK reads its message from; SDKs expect 400, not 422."""
    body = error_body(error)
    status = 400 if error.status_code == 422 else error.status_code
    headers = dict(error.headers)
    if surface == "portkey":
        body["error"] = {"message": error.detail, "type": error.code}
        # Portkey's SDK re-sends after a 5xx unless it sees a request id; a retry could
        # store the same feedback twice.
        headers["x-portkey-request-id"] = str(uuid.uuid4())
    elif surface == "voltagent":
        body["message"] = error.detail
    return JSONResponse(body, status, headers=headers)


def in_language(error: APIError, locale: str) -> str:
    """An error's detail as a page in `locale` says it: the catalog's words for its template
    (its figures written the locale's way) or for the detail itself; else the English detail.
    The JSON API always says the English detail: it is part of the API's contract."""
    words = translator(locale)
    if error.template is None:
        return str(words.gettext(error.detail))
    params = {
        name: number(value, locale) if isinstance(value, int) else value
        for name, value in error.params.items()
    }
    return str(words.gettext(error.template)) % params


def _page(request: Request, error: APIError) -> Response:
    state: Services | None = getattr(request.state, "services", None)
    detail = in_language(error, page_locale(request)) if state is not None else error.detail
    if request.headers.get("hx-request") == "true":
        # htmx does not swap error responses; widget.js shows this text in the form's error slot.
        return PlainTextResponse(detail, error.status_code, headers=error.headers)
    if state is None:  # failed before the lifespan finished; no templates to use
        return HTMLResponse(f"<h1>{escape(error.detail)}</h1>", error.status_code)
    return state.templates.TemplateResponse(
        request,
        "error.html",
        {"status": error.status_code, "detail": detail},
        status_code=error.status_code,
        headers=error.headers,
    )


def render_error(request: Request, error: APIError) -> Response:
    surface = request.scope.get(SURFACE_KEY)
    if surface is None:  # a path no mount claimed: a page for browsers, JSON for the rest
        surface = "html" if "text/html" in request.headers.get("accept", "") else "api"
    if surface == "api":
        return JSONResponse(error_body(error), error.status_code, headers=error.headers)
    if surface == "html":
        return _page(request, error)
    return _dialect(surface, error)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return render_error(request, exc)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    detail = (
        exc.detail if exc.detail and exc.detail != phrase else _HTTP_DETAILS.get(status, phrase)
    )
    headers = dict(exc.headers or {})
    error = APIError(status, _HTTP_CODES.get(status, "http_error"), detail, headers=headers)
    return render_error(request, error)


async def server_error_handler(request: Request, exc: Exception) -> Response:
    path = loggable_path(request.scope)  # a feedback link's path holds its secret
    request_id = request_id_of(request.scope)
    log.exception(
        "unhandled error on %s %s (request %s)", request.method, path, request_id, exc_info=exc
    )
    # This handler answers outside the middleware (Starlette's outermost layer), so the
    # request id header that `RequestLog` adds to every other response is added here.
    headers = {REQUEST_ID_HEADER: request_id} if request_id else {}
    error = APIError(
        500,
        "internal_error",
        N_("Something went wrong on our side; please try again."),
        headers=headers,
    )
    return render_error(request, error)


EXCEPTION_HANDLERS = {
    APIError: api_error_handler,
    HTTPException: http_exception_handler,
    Exception: server_error_handler,
}
