"""Reactions of this context to ticket events (registered by the AppConfig)."""
