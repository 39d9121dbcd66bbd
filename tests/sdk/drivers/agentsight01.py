"""agentsight 0.1.x: AgentSight().feedbacks.create_for_conversation and create_for_message.

argv: base_url api_key conversation_id message_number.
"""

import json
import sys

from agentsight import AgentSight

base_url, api_key, conversation_id, message = sys.argv[1:5]
client = AgentSight(api_key=api_key, endpoint=base_url)
conversation = client.feedbacks.create_for_conversation(
    conversation=conversation_id, sentiment="neutral", comment="It was okay"
)
on_message = client.feedbacks.create_for_message(
    message=int(message), sentiment="negative", comment="Wrong invoice", reason="incorrect"
)
print(json.dumps({"conversation": conversation, "message": on_message}, default=str))
