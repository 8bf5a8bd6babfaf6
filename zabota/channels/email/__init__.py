"""The email channel: mailboxes, raw storage, parsing, threading, receivers and the outbox."""
