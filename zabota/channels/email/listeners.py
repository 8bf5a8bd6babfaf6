"""The email channel's reactions to events (after commit)."""
