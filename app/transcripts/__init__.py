"""Chat sessions and their tasks (turns): store, access rules, service, agents and runner."""
