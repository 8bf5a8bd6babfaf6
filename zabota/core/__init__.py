"""Shared kernel: base models, the domain-event registry, errors, clock and search backends."""
