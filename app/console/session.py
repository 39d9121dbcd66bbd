"""Console sign-in: an operator's API key (one with `feedback:read:all`) buys a signed session
cookie. The cookie is the console's alone: its path is /admin, it is HttpOnly and
SameSite=Strict (Secure behind https), and the widget never sets or reads one.

The cookie holds the key's name and a fingerprint of the key, signed and timestamped by
itsdangerous. It is checked on every console request against the current config: a key
that was removed, rotated or lost its scope ends its sessions at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.config.schema import AppConfig
from app.config.web import ApiKeySettings
from app.web.credentials import matches_any
from app.web.state import services, services_of

COOKIE = "fw_console"
COOKIE_PATH = "/admin"
OPERATOR_SCOPE = "feedback:read:all"
_SALT = "feedback-widget console session"
OPERATOR_KEY = "feedback_widget.operator"
UNKNOWN_KEY = "Unknown API key"
NOT_AN_OPERATOR = "This key cannot read all feedback"
NO_SECRET = (
    "The console cannot sign anyone in: set apps[].app_config.admin.secret "
    "(or auth.secret) to 32 bytes or more."
)


@dataclass(frozen=True)
class Operator:
    """Who is signed in to the console: their API key's name, and its fingerprint (so the
    session ends when the key changes)."""

    key_name: str
    fingerprint: str
    expires_at: float | None = None  # Unix seconds: when the session ends (its stream with it)


def _fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def sign_in(config: AppConfig, presented: str) -> tuple[Operator | None, str | None]:
    """The operator a key signs in as, or the message the form shows instead."""
    found: ApiKeySettings | None = None
    for candidate in config.auth.api_keys:
        if matches_any(presented.strip(), (candidate.key,)):
            found = candidate
    if found is None:
        return None, UNKNOWN_KEY
    if OPERATOR_SCOPE not in found.scopes:
        return None, NOT_AN_OPERATOR
    return Operator(found.name, _fingerprint(found.key)), None


def session_cookie(config: AppConfig, operator: Operator) -> str:
    secret = config.console_secret
    assert secret is not None  # the login form refuses before this without one
    return _serializer(secret).dumps({"k": operator.key_name, "f": operator.fingerprint})


def set_session(response: Response, request: Request, config: AppConfig, cookie: str) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int(config.admin.session_hours * 3600),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def operator_of(conn: HTTPConnection, config: AppConfig) -> Operator | None:
    """The operator a request's cookie names, if it is genuine, current and still allowed."""
    value = conn.cookies.get(COOKIE)
    secret = config.console_secret
    if not value or secret is None:
        return None
    lifetime = int(config.admin.session_hours * 3600)
    try:
        payload, signed_at = _serializer(secret).loads(
            value, max_age=lifetime, return_timestamp=True
        )
    except BadSignature:  # forged, tampered with or expired (SignatureExpired is one)
        return None
    name, fingerprint = (
        (payload.get("k"), payload.get("f")) if isinstance(payload, dict) else (0, 0)
    )
    if not isinstance(name, str) or not isinstance(fingerprint, str):
        return None
    for key in config.auth.api_keys:
        if (
            key.name == name
            and matches_any(fingerprint, (_fingerprint(key.key),))
            and OPERATOR_SCOPE in key.scopes
        ):
            # itsdangerous counts whole seconds and refuses an age over max_age: the cookie
            # works until a second past signed_at + lifetime.
            return Operator(key.name, fingerprint, signed_at.timestamp() + lifetime + 1)
    return None


def stream_holder(conn: HTTPConnection) -> str | None:
    """Who holds an operators' stream, for the stream caps: the operator's key."""
    operator = conn.scope.get(OPERATOR_KEY)
    return f"operator:{operator.key_name}" if isinstance(operator, Operator) else None


class RequireOperator:
    """The console's routes need a signed-in operator. A page without one goes to the sign-in
    form (and back after); an htmx or stream request is told 401, with htmx sent along."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        operator = operator_of(conn, services_of(scope).config)
        if operator is not None:
            scope[OPERATOR_KEY] = operator
            await self.app(scope, receive, send)
            return
        response: Response
        if conn.headers.get("hx-request") == "true":
            response = Response(status_code=401, headers={"HX-Redirect": "/admin/login"})
        elif scope["method"] == "GET" and "text/event-stream" not in conn.headers.get("accept", ""):
            response = RedirectResponse(login_url(conn), status_code=303)
        else:
            response = Response("Sign in to the console.", status_code=401)
        await response(scope, receive, send)


def login_url(conn: HTTPConnection) -> str:
    wanted = conn.url.path + (f"?{conn.url.query}" if conn.url.query else "")
    return "/admin/login" if wanted == "/admin" else f"/admin/login?next={quote(wanted, safe='')}"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    if value and value.startswith("/admin") and not value.startswith("//"):
        return value
    return "/admin"


def configured(conn: HTTPConnection) -> bool:
    return services(conn).config.console_secret is not None
