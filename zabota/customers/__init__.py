"""Customers: contacts, organizations with tiers and typed attributes, and their projects."""
