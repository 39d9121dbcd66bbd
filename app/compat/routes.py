"""Each dialect under its own prefix, so an SDK's base URL can point straight at it.

Every dialect answers errors in our shape plus the field its SDK reads (its surface), judges
its path and query by the boundary rule (`CleanInput`), and every request counts against the
API budget. Feedback link answers are the browser's: open to any origin, and charged to the
feedback budget.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from app import link_answers
from app.compat import agentsight, portkey, trodo, voltagent
from app.web.middleware.boundary import CleanInput
from app.web.middleware.rules import PUBLIC, spends
from app.web.middleware.surface import Surface, SurfaceName


def _dialect(prefix: str, surface: SurfaceName, routes: list[Route]) -> Mount:
    # The boundary rule sits under the dialect's surface, so a refusal carries its SDK's field.
    return Mount(
        prefix,
        routes=routes,
        middleware=[Middleware(Surface, name=surface), Middleware(CleanInput)],
    )


def compat_mount() -> Mount:
    return Mount(
        "/compat",
        middleware=[Middleware(Surface, name="compat"), spends("api")],
        routes=[
            _dialect(
                "/trodo/api/sdk",
                "compat",
                [
                    Route("/batch", trodo.batch, methods=["POST"]),
                    Route("/runs/{run_id}/feedback", trodo.run_feedback, methods=["POST"]),
                    Route("/track-agent", trodo.track_agent, methods=["POST"]),
                ],
            ),
            _dialect(
                "/agentsight/api",
                "compat",
                [
                    Route(
                        "/conversation-feedbacks/",
                        agentsight.conversation_feedback,
                        methods=["POST"],
                    ),
                    Route("/feedbacks/", agentsight.feedbacks, methods=["POST"]),
                    Route("/me/", agentsight.me),
                ],
            ),
            _dialect(
                "/portkey/v1",
                "portkey",
                [
                    Route("/feedback", portkey.create, methods=["POST"]),
                    Route("/feedback/{feedback_id}", portkey.update, methods=["PUT"]),
                ],
            ),
            _dialect(
                "/voltagent/api/public",
                "voltagent",
                [
                    Route("/feedback/tokens", voltagent.create_token, methods=["POST"]),
                    Route("/feedback", voltagent.create_feedback, methods=["POST"]),
                    Route(
                        "/feedback/ingest/{token}",
                        link_answers.ingest,
                        methods=["POST", "OPTIONS"],
                        middleware=[PUBLIC, spends("feedback")],
                    ),
                    Route(
                        "/feedback/ingest/{token}",
                        link_answers.link_state,
                        methods=["GET"],
                        middleware=[PUBLIC],
                    ),
                    Route("/otel/v1/traces", voltagent.otel, methods=["POST"]),
                    Route("/otel/v1/logs", voltagent.otel, methods=["POST"]),
                ],
            ),
        ],
    )
