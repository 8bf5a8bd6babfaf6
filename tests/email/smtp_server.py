"""A real SMTP server on loopback (aiosmtpd) that records what it receives, can refuse
recipients with a chosen answer, and can be stopped and started again on the same port."""

from __future__ import annotations

import logging
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.email.support import make_mailbox
from zabota.channels.email.models import Mailbox, Security

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Recorder:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []
        self.refuse = ""  # e.g. "550 5.1.1 No such user": the answer to every RCPT TO

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 2.0.0 Queued"


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None

    @property
    def received(self) -> list[EmailMessage]:
        return self.handler.received

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def mailbox(self, **fields: Any) -> Mailbox:
        """The Support inbox's mailbox, sending through this server."""
        box = make_mailbox()
        box.smtp_host = "127.0.0.1"
        box.smtp_port = self.port
        box.smtp_security = Security.NONE
        for name, value in fields.items():
            setattr(box, name, value)
        box.save()
        return box
