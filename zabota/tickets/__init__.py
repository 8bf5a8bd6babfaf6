"""Tickets: the conversation with a customer, its messages, attachments and activity."""
