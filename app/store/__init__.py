"""Store functions own all SQL. Each takes the session explicitly, and keyword arguments."""
