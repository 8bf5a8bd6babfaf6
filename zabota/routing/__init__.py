"""Routing: who gets a ticket (manual, round-robin, least-loaded, skills), agent availability."""
