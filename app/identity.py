"""Who is asking, resolved here and nowhere else.

- An operator or platform API key (`Authorization: Bearer <key>` or `X-API-Key`) acts with its
  scopes, and its feedback is `platform` feedback.
- An end-user JWT (HS256, `sub` and `exp` required, optional `sid` and `name`) comes as a
  Bearer header (every htmx request) or a `token` query parameter (page URLs and the SSE
  stream, which cannot send headers). Its feedback is `customer` feedback. No cookies.
- In `dev` mode, a request without a credential is the configured default user.

The credential decides the source of feedback, never the request body.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Literal

import jwt
from starlette.requests import HTTPConnection

from app.errors import APIError
from app.settings import ApiKeySettings, AuthSettings
from app.state import services

END_USER_SCOPES = frozenset({"feedback:read"})
DEV_SCOPES = frozenset({"feedback:read", "transcripts:write"})
EXPIRED_DETAIL = "This chat link has expired or is not valid. Ask for a new link."


@dataclass(frozen=True)
class Identity:
    user_id: str
    source: Literal["customer", "platform", "model"] = "customer"
    kind: Literal["dev", "user", "key"] = "dev"
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_limit: str | None = None  # a token's `sid`: the one session it may use
    name: str | None = None
    token: str | None = None  # the end-user token, carried on to the widget's own requests

    @property
    def is_key(self) -> bool:
        return self.kind == "key"

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise APIError(
                403, "missing_scope", f"This credential lacks the '{scope}' scope this needs."
            )

    def may_use_session(self, session_id: str) -> bool:
        return self.session_limit is None or self.session_limit == session_id


def unauthenticated() -> APIError:
    return APIError(401, "unauthenticated", EXPIRED_DETAIL, headers={"WWW-Authenticate": "Bearer"})


def _presented(conn: HTTPConnection) -> tuple[str | None, str | None]:
    """(API key or bearer credential from headers, token from the query string)."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    return conn.headers.get("x-api-key") or bearer, conn.query_params.get("token")


def _match_key(presented: str, keys: tuple[ApiKeySettings, ...]) -> ApiKeySettings | None:
    found = None
    for candidate in keys:
        # Compare against every key, in constant time, so timing reveals nothing.
        if hmac.compare_digest(candidate.key.encode(), presented.encode()):
            found = candidate
    return found


def _key_identity(key: ApiKeySettings) -> Identity:
    return Identity(
        user_id=key.user_id or f"api-key:{key.name}",
        source="platform",
        kind="key",
        scopes=frozenset(key.scopes),
        name=key.name,
    )


def _token_identity(token: str, auth: AuthSettings) -> Identity:
    try:
        claims = jwt.decode(
            token,
            auth.secret or "",
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
        )
    except jwt.InvalidTokenError:
        raise unauthenticated() from None
    subject, sid = claims.get("sub"), claims.get("sid")
    if (
        not isinstance(subject, str)
        or not subject
        or (sid is not None and not isinstance(sid, str))
    ):
        raise unauthenticated()
    name = claims.get("name")
    return Identity(
        user_id=subject,
        kind="user",
        scopes=END_USER_SCOPES,
        session_limit=sid,
        name=name if isinstance(name, str) else None,
        token=token,
    )


def resolve_identity(conn: HTTPConnection, auth: AuthSettings) -> Identity:
    credential, query_token = _presented(conn)
    if credential is not None:
        key = _match_key(credential, auth.api_keys)
        if key is not None:
            return _key_identity(key)
        if auth.mode == "token":
            return _token_identity(credential, auth)
        raise unauthenticated()  # dev mode: a credential that is no key is a mistake, say so
    if query_token is not None and auth.mode == "token":
        return _token_identity(query_token, auth)
    if auth.mode == "dev":
        return Identity(user_id=auth.default_user_id, scopes=DEV_SCOPES)
    raise unauthenticated()


def current_identity(conn: HTTPConnection) -> Identity:
    identity = conn.scope.get("feedback_widget.identity")
    if isinstance(identity, Identity):
        return identity
    identity = resolve_identity(conn, services(conn).settings.app.app_config.auth)
    conn.scope["feedback_widget.identity"] = identity
    return identity


def end_user(conn: HTTPConnection) -> Identity:
    """The identity of a widget request: an end user (or the dev user), never an API key."""
    identity = current_identity(conn)
    if identity.is_key:
        raise APIError(403, "end_user_only", "The chat widget is for end users, not API keys.")
    return identity
