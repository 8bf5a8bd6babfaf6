"""Channels: each one normalises its traffic into one inbound message and hands it to one ingest
action (see ``channels/base.py``). A plain package; each channel is its own Django app with an
explicit label (``email_channel``), since Django Channels owns the name ``channels``."""
