"""Turns the credential a request carries into an Identity, here and nowhere else.

- An operator or platform API key (`Authorization: Bearer <key>` or `X-API-Key`) acts with its
  scopes, and its feedback is `platform` feedback. A dialect that has a platform credential
  of its own (AgentSight's dashboard) takes such a key, with the scope it needs, and nothing
  else (`platform_key`): an end-user token is never a platform credential, though it is
  signed with the same secret.
- An end-user JWT (HS256, `sub` and `exp` required, optional `sid`, `name` and `locale`) comes as a
  Bearer header (every htmx request) or a `token` query parameter (page URLs and the SSE
  stream, which cannot send headers). Its feedback is `customer` feedback. No cookies.
- In `dev` mode, a request without a credential is the configured default user.

The identity is resolved once per request and kept in the request scope (a failure too).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

import jwt
from starlette.requests import HTTPConnection

from app.boundary import storable
from app.bounds import USER_ID_MAX_CHARS
from app.config.auth import ApiKeySettings, AuthSettings
from app.errors import APIError
from app.i18n.catalogs import N_
from app.identity import DEV_SCOPES, END_USER_SCOPES, Identity
from app.web.request_log import record_who
from app.web.state import services

EXPIRED_DETAIL = N_("This chat link has expired or is not valid. Ask for a new link.")
_SCOPE_KEY = "feedback_widget.identity"


def unauthenticated() -> APIError:
    return APIError(401, "unauthenticated", EXPIRED_DETAIL, headers={"WWW-Authenticate": "Bearer"})


def matches_any(presented: str | None, accepted: Iterable[str]) -> bool:
    """Whether `presented` equals one of `accepted`, compared with every one in constant time,
    so the timing reveals neither which nor whether."""
    if not presented:
        return False
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(candidate.encode(), presented.encode())
    return found


def _presented(conn: HTTPConnection) -> tuple[str | None, str | None]:
    """(API key or bearer credential from headers, token from the query string)."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    bearer = value.strip() if scheme.lower() == "bearer" and value.strip() else None
    return conn.headers.get("x-api-key") or bearer, conn.query_params.get("token")


def _match_key(presented: str, keys: tuple[ApiKeySettings, ...]) -> ApiKeySettings | None:
    found = None
    for candidate in keys:
        if matches_any(presented, (candidate.key,)):
            found = candidate
    return found


def platform_key(presented: str | None, auth: AuthSettings, scope: str) -> ApiKeySettings | None:
    """The API key `presented`, if it is one of `auth.api_keys` and holds `scope`; else None,
    whatever else it is (a valid end-user token included)."""
    key = _match_key(presented, auth.api_keys) if presented else None
    return key if key is not None and scope in key.scopes else None


def _key_identity(key: ApiKeySettings) -> Identity:
    return Identity(
        user_id=key.user_id or f"api-key:{key.name}",
        source="platform",
        kind="key",
        scopes=frozenset(key.scopes),
        name=key.name,
    )


def decode_token(token: str, secret: str) -> dict[str, object]:
    """The claims of an HS256 end-user token with `exp` and `sub`, or 401."""
    try:
        claims: dict[str, object] = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.InvalidTokenError:
        raise unauthenticated() from None
    return claims


def _token_identity(token: str, auth: AuthSettings) -> Identity:
    claims = decode_token(token, auth.secret or "")
    subject, sid, name = claims.get("sub"), claims.get("sid"), claims.get("name")
    locale = claims.get("locale")
    if not isinstance(subject, str) or not subject:
        raise unauthenticated()
    if sid is not None and not isinstance(sid, str):
        raise unauthenticated()
    # The claims become stored data (owners, chat ids, names): the boundary rule holds for them,
    # and the subject must fit the user id columns.
    if not all(storable(claim) for claim in (subject, sid, name) if isinstance(claim, str)):
        raise unauthenticated()
    if len(subject) > USER_ID_MAX_CHARS:
        raise unauthenticated()
    return Identity(
        user_id=subject,
        kind="user",
        scopes=END_USER_SCOPES,
        session_limit=sid,
        name=name if isinstance(name, str) else None,
        token=token,
        expires_at=float(str(claims["exp"])),  # PyJWT checked it is a number (or its text)
        # Only a preference: one that names no shipped language is ignored, never refused.
        locale=locale if isinstance(locale, str) else None,
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
    """The request's identity, resolved on first use and remembered for the request."""
    known = conn.scope.get(_SCOPE_KEY)
    if known is None:
        try:
            known = resolve_identity(conn, services(conn).config.auth)
        except APIError as error:
            known = error
        else:
            kind, name = ("key", known.name) if known.is_key else ("user", known.user_id)
            record_who(conn.scope, kind, name or known.user_id)
        conn.scope[_SCOPE_KEY] = known
    if isinstance(known, APIError):
        raise known
    assert isinstance(known, Identity)
    return known


def end_user(conn: HTTPConnection) -> Identity:
    """The identity of a widget request: an end user (or the dev user), never an API key."""
    identity = current_identity(conn)
    if identity.is_key:
        raise APIError(403, "end_user_only", N_("The chat widget is for end users, not API keys."))
    return identity
