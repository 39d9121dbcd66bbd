"""Console sign-in: an operator's API key (one with `feedback:read:all`) buys a session. The
cookie is the console's alone: its path is /admin, it is HttpOnly and SameSite=Strict (Secure
behind https), and the widget never sets or reads one.

The session lives on the server (`console/store.py`): the cookie carries only a random
session id, signed and timestamped by itsdangerous, and nothing derived from the key. Every
console request reads the session (one primary-key lookup) and checks the key it signed in
with against the current config: signing out, on any instance, ends it at once; so does the
key being removed, rotated or losing its scope, or `admin.session_hours` passing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection, Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.clock import now_ms
from app.config.auth import ApiKeySettings
from app.config.schema import AppConfig
from app.console import store
from app.i18n.catalogs import N_
from app.web.credentials import matches_any
from app.web.request_log import record_who
from app.web.state import Services, services

COOKIE = "fw_console"
COOKIE_PATH = "/admin"
OPERATOR_SCOPE = "feedback:read:all"
REVIEW_SCOPE = "feedback:review"  # acting in the review queue; looking needs OPERATOR_SCOPE
_SALT = "feedback-widget console session"
OPERATOR_KEY = "feedback_widget.operator"
UNKNOWN_KEY = N_("Unknown API key")
NOT_AN_OPERATOR = N_("This key cannot read all feedback")
NO_SECRET = N_(
    "The console cannot sign anyone in: set apps[].app_config.admin.secret "
    "(or auth.secret) to 32 bytes or more."
)
SESSION_ID_BYTES = 32


@dataclass(frozen=True)
class Operator:
    """Who is signed in to the console: their API key's name, and what the key may do."""

    key_name: str
    expires_at: float | None = None  # Unix seconds: when the session ends (its stream with it)
    scopes: tuple[str, ...] = ()

    @property
    def can_review(self) -> bool:
        """Whether the key may act in the review queue (any operator may look at it)."""
        return REVIEW_SCOPE in self.scopes


def _fingerprint(secret: str, key: str) -> str:
    """The key as the session row remembers it: an HMAC under the console secret, so the
    table alone says nothing about the key, unlike a plain hash anyone can test guesses on."""
    return hmac.new(secret.encode(), b"console key\0" + key.encode(), hashlib.sha256).hexdigest()


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def _lifetime_seconds(config: AppConfig) -> int:
    return int(config.admin.session_hours * 3600)


def sign_in(config: AppConfig, presented: str) -> tuple[ApiKeySettings | None, str | None]:
    """The key that signs in, or the message the form shows instead."""
    found: ApiKeySettings | None = None
    for candidate in config.auth.api_keys:
        if matches_any(presented.strip(), (candidate.key,)):
            found = candidate
    if found is None:
        return None, UNKNOWN_KEY
    if OPERATOR_SCOPE not in found.scopes:
        return None, NOT_AN_OPERATOR
    return found, None


async def open_session(svc: Services, key: ApiKeySettings) -> str:
    """Record a new session for `key`; the cookie value that names it."""
    secret = svc.config.console_secret
    assert secret is not None  # the login form refuses before this without one
    session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
    now = now_ms()
    await svc.writer.run(
        lambda tx: store.open_session(
            tx,
            id_hash=_session_hash(session_id),
            key_name=key.name,
            key_fingerprint=_fingerprint(secret, key.key),
            now=now,
            expires_time=now + _lifetime_seconds(svc.config) * 1000,
            created_by=svc.instance,
        )
    )
    return _serializer(secret).dumps(session_id)


def set_session(response: Response, request: Request, config: AppConfig, cookie: str) -> None:
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=_lifetime_seconds(config),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def _session_id(conn: HTTPConnection, config: AppConfig, *, any_age: bool = False) -> str | None:
    """The session id the request's cookie carries, if the signature is ours (and, unless
    `any_age`, no older than a session lasts)."""
    value = conn.cookies.get(COOKIE)
    secret = config.console_secret
    if not value or secret is None:
        return None
    max_age = None if any_age else _lifetime_seconds(config)
    try:
        payload = _serializer(secret).loads(value, max_age=max_age)
    except BadSignature:  # forged, tampered with or expired (SignatureExpired is one)
        return None
    # Anything else (the key name and fingerprint cookies used to carry) is no session.
    return payload if isinstance(payload, str) and 0 < len(payload) <= 64 else None


async def operator_of(conn: HTTPConnection) -> Operator | None:
    """The operator a request's session belongs to, if the session is live and its key is
    still configured, unchanged and allowed."""
    svc = services(conn)
    config, secret = svc.config, svc.config.console_secret
    session_id = _session_id(conn, config)
    if session_id is None or secret is None:
        return None
    digest, now = _session_hash(session_id), now_ms()
    stored = await svc.db.read(lambda connection: store.live_session(connection, digest, now=now))
    if stored is None:
        return None
    for key in config.auth.api_keys:
        if (
            key.name == stored.key_name
            and OPERATOR_SCOPE in key.scopes
            and hmac.compare_digest(_fingerprint(secret, key.key), stored.key_fingerprint)
        ):
            # The session row decides when it ends (and the operators' stream with it).
            return Operator(
                key.name, expires_at=stored.expires_time / 1000, scopes=tuple(key.scopes)
            )
    return None


async def still_signed_in(conn: HTTPConnection) -> bool:
    """Whether the request's console session is still live and its key still allowed."""
    return await operator_of(conn) is not None


def stream_holder(conn: HTTPConnection) -> str | None:
    """Who holds an operators' stream, for the stream caps: the operator's key."""
    operator = conn.scope.get(OPERATOR_KEY)
    return f"operator:{operator.key_name}" if isinstance(operator, Operator) else None


async def sign_out(conn: HTTPConnection) -> None:
    """End the session the cookie names, for every instance (however old the cookie)."""
    svc = services(conn)
    session_id = _session_id(conn, svc.config, any_age=True)
    if session_id is not None:
        digest, now = _session_hash(session_id), now_ms()
        await svc.writer.run(lambda tx: store.end_session(tx, digest, now=now))


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
        operator = await operator_of(conn)
        if operator is not None:
            scope[OPERATOR_KEY] = operator
            record_who(scope, "key", operator.key_name)
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
