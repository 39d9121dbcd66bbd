"""Who is asking, as a value: the rules that follow from a credential live here.

`app/web/credentials.py` turns a request's credential into an Identity; everything else
asks the Identity what it may do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.errors import APIError, invalid_field
from app.i18n.catalogs import N_

Source = Literal["customer", "platform", "model"]
END_USER_SCOPES = frozenset({"feedback:read"})
DEV_SCOPES = frozenset({"feedback:read", "transcripts:write"})


def session_not_allowed() -> APIError:
    return APIError(403, "session_not_allowed", N_("This chat link is for a different chat."))


@dataclass(frozen=True)
class ReadScope:
    """Which rows a read may return. Every query that can reach more than one session takes
    one, and can only be built from an Identity (`Identity.read_scope`): a token limited to
    one chat (`sid`) reads that chat and nothing else, whatever it asks for."""

    user_id: str | None  # one user's rows; None: every user's (feedback:read:all)
    session_id: str | None  # a `sid` token's one chat; None: any of the user's


@dataclass(frozen=True)
class Identity:
    user_id: str
    source: Source = "customer"
    kind: Literal["dev", "user", "key"] = "dev"
    scopes: frozenset[str] = field(default_factory=frozenset)
    session_limit: str | None = None  # a token's `sid`: the one session it may use
    name: str | None = None
    token: str | None = None  # the end-user token, carried on to the widget's own requests
    expires_at: float | None = None  # the token's `exp` (Unix seconds): its streams end then
    locale: str | None = None  # the token's `locale` claim: the language its pages are in

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

    def check_session(self, session_id: str) -> None:
        if not self.may_use_session(session_id):
            raise session_not_allowed()

    def read_scope(self, *, query_user_id: str | None = None) -> ReadScope:
        """The rows this identity may read, under SAM's rules: without `feedback:read:all`
        only its own (and naming another user is 403); with it everyone's, or the one user
        `query_user_id` names."""
        read_all = "feedback:read:all" in self.scopes
        if query_user_id is not None and not read_all:
            raise APIError(
                403, "forbidden", "You do not have permission to query other users' feedback."
            )
        if not read_all:
            self.require("feedback:read")
        return ReadScope(
            user_id=query_user_id if read_all else self.user_id, session_id=self.session_limit
        )

    def chat_scope(self) -> ReadScope:
        """The chats an end user's pages list: their own, or the one a `sid` token names."""
        return ReadScope(user_id=self.user_id, session_id=self.session_limit)

    def may_see(self, owner: str | None) -> bool:
        """Whether rows owned by `owner` are visible: an API key reaches every user's."""
        return self.is_key or owner == self.user_id

    def may_reach(self, owner: str | None, session_id: str | None) -> bool:
        """Whether a row of `owner` in `session_id` exists for this identity at all: its own
        (an API key: anyone's), and for a `sid` token, in that chat only."""
        return self.may_see(owner) and (
            self.session_limit is None or self.session_limit == session_id
        )

    def acting_user(self, named: str | None, scope: str) -> str:
        """The end user a request acts for. Keys name one (and need `scope`); users are
        themselves, and naming anyone else is refused."""
        if self.is_key:
            self.require(scope)
            if not named:
                raise invalid_field("user_id", "An API key must name the end user (user_id).")
            return named
        if named is not None and named != self.user_id:
            raise APIError(403, "not_your_user", "You can only act as yourself.")
        return self.user_id
