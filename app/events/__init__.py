"""Domain events, the bus they travel on, and the one write path that raises them."""
