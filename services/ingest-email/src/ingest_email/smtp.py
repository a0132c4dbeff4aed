"""The inbound SMTP server (aiosmtpd), on the service's own event loop.

It answers 250 only once the message is durable in Kafka, 451 while the broker
or database is down (the sending server retries), 451 4.7.1 at MAIL when one address
sends faster than its limit, 550 for recipients no tenant receives mail at, and 552
above the size limit (aiosmtpd enforces it while the data arrives).
"""

from __future__ import annotations

import asyncio
import math
import ssl
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from cc_common.errors import is_infrastructure_error
from cc_common.http.rate_limit import RateLimiter
from cc_common.kafka.producer import EventRefused
from cc_common.logging import get_logger
from ingest_email.domain.mime import MessageTooComplex, UnreadableMessage
from ingest_email.intake import EmailIntake, UnknownRecipient
from ingest_email.settings import EmailSettings

log = get_logger(__name__)
MAX_RECIPIENTS = 100
"""Recipients one message may name (RFC 5321 asks servers to take at least 100)."""


class IntakeHandler:
    """aiosmtpd hooks: the sender's address is rate limited at MAIL, recipients are
    checked at RCPT, the message is taken at DATA."""

    def __init__(self, intake: EmailIntake, limiter: RateLimiter) -> None:
        self._intake = intake
        self._limiter = limiter

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        peer = session.peer[0] if isinstance(session.peer, tuple) else str(session.peer)
        wait = self._limiter.allow(peer)
        if wait:
            log.warning("smtp.rate_limited", peer=peer)
            return f"451 4.7.1 Too many messages from {peer}; try again in {math.ceil(wait)} s"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            # RFC 5321 4.5.3.1.10: the client sends the rest in another transaction.
            return "452 4.5.3 Too many recipients"
        if not self._intake.tenants_for([address]):
            return "550 5.1.1 No mailbox here by that name"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            raw = str(raw or "").encode("utf-8", "surrogateescape")
        try:
            results = await self._intake.accept(
                raw, provider="smtp", recipients=list(envelope.rcpt_tos)
            )
        except MessageTooComplex as exc:
            return f"552 5.3.4 Message too complex for this system: {exc}"
        except UnreadableMessage as exc:
            return f"554 5.6.0 {exc}"
        except UnknownRecipient:
            return "550 5.1.1 No mailbox here by that name"
        except EventRefused as exc:
            # Permanent: a retry would be refused the same way for days.
            log.warning("smtp.event_refused", error=str(exc), too_large=exc.too_large)
            if exc.too_large:
                return "552 5.3.4 Message too big for this system"
            return "554 5.3.0 Message refused by this system"
        except Exception as exc:
            # Nothing is lost: the sending server keeps the message and retries.
            level = "warning" if is_infrastructure_error(exc) else "error"
            getattr(log, level)("smtp.accept_failed", error=repr(exc))
            return "451 4.3.0 Temporarily unable to accept the message; try again later"
        message_id = results[0].message_id if results else ""
        return f"250 2.0.0 Message accepted {message_id}".strip()


def tls_context(settings: EmailSettings) -> ssl.SSLContext | None:
    """The STARTTLS context when a certificate is configured."""
    if not settings.smtp_tls_cert or not settings.smtp_tls_key:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key)
    return context


async def start_smtp_server(settings: EmailSettings, intake: EmailIntake) -> asyncio.Server:
    """Listen for SMTP on the running loop (the caller closes the server)."""
    limiter = RateLimiter(
        rate=settings.smtp_messages_per_ip_per_second, burst=settings.smtp_message_burst_per_ip
    )
    handler = IntakeHandler(intake, limiter)
    context = tls_context(settings)
    options: dict[str, Any] = {}
    if context is not None:
        options["tls_context"] = context

    def protocol() -> SMTP:
        return SMTP(
            handler,
            data_size_limit=settings.max_body_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.smtp_hostname,
            ident="contactcenter ingest-email",
            **options,
        )

    server = await asyncio.get_running_loop().create_server(
        protocol, host=settings.smtp_host, port=settings.smtp_port
    )
    log.info("smtp.listening", host=settings.smtp_host, port=settings.smtp_port)
    return server
