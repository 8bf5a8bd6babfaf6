"""Reactions to ticket events that notify agents (filled in with the notification rules)."""
