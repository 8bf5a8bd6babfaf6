"""Triage: automatic priority (tier x kind x keywords) and incidents (outages that gather tickets)."""
