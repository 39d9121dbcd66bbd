"""Live updates: domain events rendered once and fanned out to open pages over SSE."""
