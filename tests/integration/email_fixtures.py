"""An in-process ingest-email on the session's broker and database, with a mail sink."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Sink:
    """Collects what the relay receives (the test's stand-in for the customer's mailbox)."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: set[str] = field(default_factory=set)
    """Recipients this mailbox refuses for good (550)."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 OK"

    def received(self, **headers: str) -> list[EmailMessage]:
        with self.lock:
            return [
                m
                for m in self.messages
                if all(str(m.get(k.replace("_", "-"), "")) == v for k, v in headers.items())
            ]


def start_sink(port: int) -> tuple[Sink, Controller]:
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller


TRUSTED_RELAY = "mx.acme.example"
"""The relay whose Authentication-Results the tenant trusts (its MX, in the tests)."""


def tenant_config(**extra: Any) -> dict[str, Any]:
    return {
        "addresses": ["support@acme.example"],
        "from_name": "Acme Support",
        "staff_domains": ["acme.example"],
        "trusted_authserv_ids": [TRUSTED_RELAY],
        **extra,
    }
