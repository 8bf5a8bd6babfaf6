"""Agents (the people who answer), their roles and teams, and API tokens."""
