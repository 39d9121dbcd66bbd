"""SQL for feedback: rows (and those waiting for their trace), the key registry, links.

Writes take the transaction and raise their events on it; the database's unique indexes
decide every race.
"""
