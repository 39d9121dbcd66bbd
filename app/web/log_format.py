"""How log lines look: `logging.format: text` (lines for people) or `json` (one object a line,
for log shippers), for every logger of the process, uvicorn's among them.

`logging_config` is a `logging.config.dictConfig` mapping. `feedback-widget serve` hands it
to uvicorn, which applies it in every worker process it starts (`--workers N`), so each
worker writes the same lines to its stderr. Lines logged while a request runs carry its id
(`request_log.current_request_id`); a request's own line (`feedback_widget.access`) carries
the fields `RequestLog` put on it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

from app.web.request_log import current_request_id

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


def _access_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    fields = getattr(record, "http", None)
    return fields if isinstance(fields, dict) else None


class TextFormatter(logging.Formatter):
    """`INFO feedback_widget.access: GET /chat/{session_id} 200 3.1 ms user=ann request_id=…`"""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = _access_fields(record)
        request_id = fields["request_id"] if fields else current_request_id()
        extras = [f"{kind}={fields[kind]}" for kind in ("user", "key") if fields and kind in fields]
        if request_id:
            extras.append(f"request_id={request_id}")
        if not extras:
            return line
        first, newline, rest = line.partition("\n")  # after the message, before a traceback
        return f"{first} {' '.join(extras)}{newline}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the request's id while a request
    runs, a request line's fields, and an exception's traceback as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = _access_fields(record)
        if fields is not None:
            line.update(fields)
        elif (request_id := current_request_id()) is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line, default=str).decode()


def logging_config(fmt: Literal["text", "json"], level: str) -> dict[str, Any]:
    """Every logger through one stderr handler in the chosen format. uvicorn's loggers pass
    their lines up to it; its access log stays silent (`RequestLog` writes that line)."""
    formatter = JsonFormatter if fmt == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": False},
        },
    }
