"""The OpenAPI 3.1 document for every JSON endpoint, built from the request models."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, get_args

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app.api.datasets import dataset_paths
from app.api.reviews import review_paths
from app.api.schemas import (
    FeedbackIn,
    FeedbackLinkIn,
    FeedbackQuery,
    SessionIn,
    TaskEventIn,
    TaskIn,
    TaskPatch,
    TranscriptQuery,
)
from app.bounds import COMMENT_MAX_CHARS
from app.config.auth import Scope
from app.web.responses import JSONResponse

ERROR = {"$ref": "#/components/schemas/Error"}
_ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "A sentence a person can act on."},
        "code": {"type": "string", "description": "A stable machine-readable code."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "array"}, "msg": {"type": "string"}},
            },
        },
    },
}
_TASK = {"type": "object", "description": "A task (one agent turn) with taskMetadata.feedback."}
_SESSION = {"type": "object", "description": "A chat session."}
_FEEDBACK_ROW = {
    "type": "object",
    "properties": {
        name: {"type": ["string", "null"]}
        for name in ("id", "session_id", "task_id", "user_id", "rating", "comment")
    }
    | {"created_time": {"type": "integer", "description": "Epoch milliseconds."}},
}

_LINK_ANSWER = {
    "type": "object",
    "properties": {
        "score": {"type": ["number", "boolean", "null"]},
        "rating": {"enum": ["up", "down", None]},
        "label": {"type": ["string", "null"]},
        "comment": {"type": ["string", "null"], "maxLength": COMMENT_MAX_CHARS},
        "feedback_source_type": {"enum": ["app", "model"]},
    },
}

_API_KEY = {
    "type": "http",
    "scheme": "bearer",
    "description": "An `auth.api_keys` key (or `X-API-Key`). Its scopes: "
    + ", ".join(f"`{scope}`" for scope in get_args(Scope)),
}


def _body(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
        },
    }


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {"application/json": {"schema": schema}}
    return answer


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _answer("Error", ERROR) for code in codes}


def _param(name: str, where: str = "query", schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema or {"type": "string"},
    }


def _query(model: type[BaseModel], *names: str) -> list[dict[str, Any]]:
    """Query parameters described from the model that parses them, bounds and all."""
    properties = model.model_json_schema()["properties"]
    chosen = names or tuple(properties)
    return [_param(name, schema=_plain(properties[name])) for name in chosen]


def _plain(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema without pydantic's `anyOf [..., null]` wrapper."""
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    plain = dict(options[0]) if len(options) == 1 else dict(schema)
    plain.pop("anyOf", None)
    plain.pop("title", None)
    if "default" in schema and schema["default"] is not None:
        plain["default"] = schema["default"]
    return plain


def _paths() -> dict[str, Any]:
    # The listing's filters without its paging: the export's and the datasets'.
    export_filters = [p for p in _query(FeedbackQuery) if p["name"] not in ("page", "page_size")]
    body_errors = (400, 413, 415, 422)
    return {
        "/api/v1/config": {
            "get": {
                "summary": "Whether feedback is collected, and why not",
                "responses": {"200": _answer("Feature flags", {"type": "object"})},
            }
        },
        "/api/v1/me": {
            "get": {
                "summary": "Who the presented credential is",
                "responses": {"200": _answer("The identity", {"type": "object"}), **_errors(401)},
            }
        },
        "/api/v1/health": {
            "get": {
                "summary": "The version, database reachability and live-update load",
                "responses": {
                    "200": _answer("Healthy", {"type": "object"}),
                    "503": _answer("The database is unreachable", {"type": "object"}),
                },
            }
        },
        "/api/v1/feedback": {
            "post": {
                "summary": "Submit thumbs feedback for a completed task (one per task)",
                "requestBody": _body(FeedbackIn),
                "responses": {
                    "202": _answer("Accepted", {"type": "object"}),
                    **_errors(*body_errors, 403, 404, 409, 501),
                },
            },
            "get": {
                "summary": "List the caller's feedback, newest first",
                "parameters": _query(FeedbackQuery),
                "responses": {
                    "200": _answer("A page of feedback", {"type": "array", "items": _FEEDBACK_ROW}),
                    **_errors(400, 404, 422, 501),
                },
            },
        },
        "/api/v1/feedback/summary": {
            "get": {
                "summary": "Per key: count, thumbs up/down, mean and weighted mean score",
                "parameters": [
                    *[p for p in export_filters if p["name"] != "source"],
                    _param("source", schema={"enum": ["customer", "platform", "model", "all"]}),
                ],
                "responses": {
                    "200": _answer("The summary", {"type": "object"}),
                    **_errors(400, 403, 404, 422, 501),
                },
            }
        },
        "/api/v1/feedback/export": {
            "get": {
                "summary": "Every matching feedback row as CSV or JSON Lines, streamed",
                "parameters": [
                    _param("format", schema={"enum": ["csv", "jsonl"], "default": "csv"}),
                    *export_filters,
                ],
                "responses": {
                    "200": {
                        "description": "The file (Content-Disposition: attachment)",
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/x-ndjson": {"schema": {"type": "string"}},
                        },
                    },
                    **_errors(400, 403, 404, 422, 501),
                },
            }
        },
        **dataset_paths(export_filters, _errors(400, 401, 403, 404, 422, 501)),
        **review_paths(_errors(*body_errors, 401, 403, 404, 501)),
        "/api/v1/feedback/tokens": {
            "post": {
                "summary": "Issue a single-use, expiring feedback link for one task",
                "requestBody": _body(FeedbackLinkIn),
                "responses": {
                    "201": _answer("The link", {"type": "object"}),
                    **_errors(*body_errors, 403, 404, 501),
                },
            }
        },
        "/api/v1/feedback/ingest/{token}": {
            "parameters": [_param("token", "path")],
            "get": {
                "summary": "What a feedback link asks for, and whether it was answered",
                "responses": {"200": _answer("The link", {"type": "object"}), **_errors(404)},
            },
            "post": {
                "summary": "Answer a feedback link (no credential; CORS open)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _LINK_ANSWER}},
                },
                "responses": {
                    "201": _answer("Stored", {"type": "object"}),
                    **_errors(*body_errors, 404, 409, 410, 501),
                },
            },
        },
        "/api/v1/sessions": {
            "post": {
                "summary": "Create a session",
                "requestBody": _body(SessionIn),
                "responses": {"201": _answer("Created", _SESSION), **_errors(*body_errors, 409)},
            }
        },
        "/api/v1/sessions/{session_id}/tasks": {
            "parameters": [_param("session_id", "path")],
            "get": {
                "summary": "The session's transcript: all of it, or a page with limit/before",
                "parameters": _query(TranscriptQuery),
                "responses": {
                    "200": _answer("Tasks in order", {"type": "array", "items": _TASK}),
                    **_errors(404),
                },
            },
            "post": {
                "summary": "Add a task (one turn) to a session",
                "requestBody": _body(TaskIn),
                "responses": {"201": _answer("Created", _TASK), **_errors(*body_errors, 404, 409)},
            },
        },
        "/api/v1/tasks/{task_id}": {
            "parameters": [_param("task_id", "path")],
            "patch": {
                "summary": "Stream text into a task or finish it",
                "requestBody": _body(TaskPatch),
                "responses": {"200": _answer("Updated", _TASK), **_errors(*body_errors, 404, 409)},
            },
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics, when observability.metrics.enabled (else 404)",
                "security": [{"apiKey": ["metrics:read"]}],
                "responses": {
                    "200": {
                        "description": "The Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(401, 403, 404),
                },
            }
        },
        "/api/v1/tasks/{task_id}/events": {
            "parameters": [_param("task_id", "path")],
            "post": {
                "summary": "Record a task execution event",
                "requestBody": _body(TaskEventIn),
                "responses": {
                    "201": _answer("Created", {"type": "object"}),
                    **_errors(*body_errors, 404),
                },
            },
        },
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Error": _ERROR_SCHEMA}
    for model in (FeedbackIn, FeedbackLinkIn, SessionIn, TaskIn, TaskPatch, TaskEventIn):
        schemas[model.__name__] = model.model_json_schema(by_alias=True)
    return {
        "openapi": "3.1.0",
        "info": {"title": "feedback-widget", "version": "1"},
        "paths": _paths(),
        "components": {"schemas": schemas, "securitySchemes": {"apiKey": _API_KEY}},
    }


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi_document())
