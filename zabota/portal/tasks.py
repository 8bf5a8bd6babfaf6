"""Tasks of the portal context (thin, take ids, idempotent)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from zabota.portal import mail


@db_task(retries=3, retry_delay=30)
def send_sign_in_link(link_id: int, token: str) -> None:
    """Email a sign-in link. The raw token arrives as the argument: it is stored nowhere.

    Sending again is harmless (the same link); a link already used or expired is not sent.
    """
    mail.send_sign_in_link(link_id, token)
