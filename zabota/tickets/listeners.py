"""Reactions of the tickets context to events. None yet: later contexts (SLA, notifications,
realtime, webhooks) register their own listeners in their own ``listeners.py``."""
