"""Who is asking. Resolved here and nowhere else, so real auth can replace it in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from starlette.requests import Request

from app.state import services


@dataclass(frozen=True)
class Identity:
    user_id: str
    # The credential decides where feedback comes from, never the request body.
    source: Literal["customer", "platform", "model"] = "customer"


def current_identity(request: Request) -> Identity:
    identity = request.scope.get("feedback_widget.identity")
    if isinstance(identity, Identity):
        return identity
    identity = Identity(user_id=services(request).settings.app.app_config.auth.default_user_id)
    request.scope["feedback_widget.identity"] = identity
    return identity
