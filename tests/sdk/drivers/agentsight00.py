"""agentsight 0.0.x: conversation_manager.submit_feedback, configured before first use.

The environment carries AGENTSIGHT_API_KEY and AGENTSIGHT_API_ENDPOINT (needed at import).
argv: conversation_id. Prints what submit_feedback returned.
"""

import json
import sys

from agentsight import conversation_manager

result = conversation_manager.submit_feedback(
    conversation_id=sys.argv[1],
    sentiment="positive",
    comment="Resolved my password reset in minutes",
    metadata={"rating": 5, "feedback_channel": "post_chat_survey"},
)
print(json.dumps(result))
