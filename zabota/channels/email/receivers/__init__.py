"""Receivers: each brings raw messages in from one place (IMAP accounts, an LMTP listener, a
provider's webhook, files) and hands the bytes to ``zabota.channels.email.ingest``. They parse
nothing and decide nothing about tickets."""
