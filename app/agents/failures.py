"""What a person is told when the model server or agent fails: one line they can act on.

The upstream's own words go to the log at WARNING (`AgentError.detail`), never a credential.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from app.agents.base import AgentError


def where(url: str) -> str:
    """A URL as people recognise it, without credentials or path."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def unreachable(url: str, what: str, detail: str) -> AgentError:
    return AgentError(f"Could not reach the {what} at {where(url)}.", detail)


def refused_key(what: str, status: int, detail: str) -> AgentError:
    return AgentError(f"The {what} refused the API key (HTTP {status}).", detail)


def rate_limited(what: str, detail: str) -> AgentError:
    return AgentError(f"The {what} is limiting requests; try again shortly.", detail)


def too_slow(seconds: float, detail: str = "") -> AgentError:
    return AgentError(f"No answer within {seconds:g} s.", detail or "timed out")


def cut_off(what: str, detail: str) -> AgentError:
    return AgentError(f"The {what} closed the connection mid-reply.", detail)


def http_status(what: str, status: int, detail: str) -> AgentError:
    if status in (401, 403):
        return refused_key(what, status, detail)
    if status == 429:
        return rate_limited(what, detail)
    return AgentError(f"The {what} answered HTTP {status}.", detail)


def from_httpx(exc: httpx.HTTPError, url: str, what: str, timeout: float) -> AgentError:
    """An httpx failure, whichever part of the exchange it happened in."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, httpx.TimeoutException):
        return too_slow(timeout, detail)
    if isinstance(exc, httpx.ConnectError):
        return unreachable(url, what, detail)
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return cut_off(what, detail)
    if isinstance(exc, httpx.HTTPStatusError):
        return http_status(what, exc.response.status_code, detail)
    return AgentError(f"The {what} could not be used: {type(exc).__name__}.", detail)
