"""trodo-python 2.x as its docs use it: a wrapped agent run, feedback on that run, a flush.

argv: base_url site_id conversation_id. Prints the run id and the sender's delivery stats.
"""

import json
import sys

from trodo import TrodoClient

base_url, site_id, conversation_id = sys.argv[1:4]
client = TrodoClient(site_id=site_id, api_base=base_url, auto_instrument=False)
with client.wrap_agent("support-agent", distinct_id="ann", conversation_id=conversation_id) as run:
    run.set_input("Where is my invoice?")
    run.set_output("It is under Billing > Invoices.")
client.feedback(
    run.run_id,
    satisfaction="positive",
    rating=5,
    comment="Found it in seconds",
    distinct_id="ann",
    metadata={"plan": "pro"},
)
client.flush(timeout=20)
print(json.dumps({"run_id": run.run_id, "stats": client.delivery_stats()}))
client.shutdown()
