"""Forms of the agent workspace (one module per page)."""
