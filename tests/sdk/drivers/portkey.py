"""portkey-ai: feedback.create, bulk_create, update, and an out-of-range value.

argv: base_url api_key trace_id. Prints ids and the SDK's error for the refused value.
"""

import json
import sys

from portkey_ai import Portkey

base_url, api_key, trace_id = sys.argv[1:4]
portkey = Portkey(api_key=api_key, base_url=base_url)
created = portkey.feedback.create(
    trace_id=trace_id,
    value=5,
    weight=0.8,
    metadata={
        "_user": "user-123",
        "_organisation": "org-9",
        "_prompt": "prompt-xyz",
        "_environment": "production",
        "comment": "Helpful",
    },
)
bulk = portkey.feedback.bulk_create(
    feedbacks=[
        {"trace_id": trace_id, "value": -3, "weight": 0.25},
        {"trace_id": trace_id, "value": 10, "weight": 0.5},
    ]
)
updated = portkey.feedback.update(feedback_id=created.feedback_ids[0], value=7, weight=1.0)
try:
    portkey.feedback.create(trace_id=trace_id, value=42)
    refused = None
except Exception as error:  # the SDK's typed error: report its class and message
    refused = {"type": type(error).__name__, "message": str(error)}
print(
    json.dumps(
        {
            "created": created.feedback_ids,
            "bulk": bulk.feedback_ids,
            "updated": updated.feedback_ids,
            "status": created.status,
            "refused": refused,
        }
    )
)
