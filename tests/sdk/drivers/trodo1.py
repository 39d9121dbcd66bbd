"""trodo-python 1.2.0's track_feedback (extra fields go in `properties`; see the wire notes).

argv: base_url site_id message_id.
"""

import sys

import trodo
from trodo import FeedbackProps

base_url, site_id, message_id = sys.argv[1:4]
trodo.init(site_id=site_id, api_base=base_url)
trodo.track_feedback(
    FeedbackProps(
        agent_id="agt_abc12345",
        conversation_id="conv_9kx2m7pq",
        message_id=message_id,
        feedback="negative",
        distinct_id="ann",
        timestamp="2026-11-20T10:00:00Z",
        properties={"rating": 2, "comment": "Hard to follow"},
    )
)
print("sent")
