"""Each dialect under its own prefix, so an SDK's base URL can point straight at it."""

from __future__ import annotations

from starlette.routing import Route

from app.api.feedback_links import ingest, link_state
from app.compat import agentsight, portkey, trodo, voltagent

TRODO = "/compat/trodo/api/sdk"
AGENTSIGHT = "/compat/agentsight/api"
PORTKEY = "/compat/portkey/v1"
VOLTAGENT = "/compat/voltagent/api/public"


def compat_routes() -> list[Route]:
    return [
        Route(f"{TRODO}/batch", trodo.batch, methods=["POST"]),
        Route(f"{TRODO}/runs/{{run_id}}/feedback", trodo.run_feedback, methods=["POST"]),
        Route(f"{TRODO}/track-agent", trodo.track_agent, methods=["POST"]),
        Route(
            f"{AGENTSIGHT}/conversation-feedbacks/",
            agentsight.conversation_feedback,
            methods=["POST"],
        ),
        Route(f"{AGENTSIGHT}/feedbacks/", agentsight.feedbacks, methods=["POST"]),
        Route(f"{AGENTSIGHT}/me/", agentsight.me),
        Route(f"{PORTKEY}/feedback", portkey.create, methods=["POST"]),
        Route(f"{PORTKEY}/feedback/{{feedback_id}}", portkey.update, methods=["PUT"]),
        Route(f"{VOLTAGENT}/feedback/tokens", voltagent.create_token, methods=["POST"]),
        Route(f"{VOLTAGENT}/feedback", voltagent.create_feedback, methods=["POST"]),
        Route(f"{VOLTAGENT}/feedback/ingest/{{token}}", ingest, methods=["POST"]),
        Route(f"{VOLTAGENT}/feedback/ingest/{{token}}", link_state),
        Route(f"{VOLTAGENT}/otel/v1/traces", voltagent.otel, methods=["POST"]),
        Route(f"{VOLTAGENT}/otel/v1/logs", voltagent.otel, methods=["POST"]),
    ]
