"""Receiving one email, whichever door it came through (SMTP, upload, provider webhook).

Store the raw message and its attachments, classify it, thread it, publish the
interaction, and only then report success: the caller answers its sender (250,
202, 200) after :meth:`EmailIntake.accept` returns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from prometheus_client import Counter

from cc_common.events import AttachmentRef, EmailAddress, Envelope, Interaction, Publisher, utc_now
from cc_common.events.owed import Owed
from cc_common.kafka.producer import BrokerUnavailable
from cc_common.logging import get_logger
from cc_common.outbox import publish_owed
from ingest_email.domain.case_tokens import token_in
from ingest_email.domain.events import Classification, classify, inbound_email
from ingest_email.domain.feedback import DeliveryFeedback, feedback_event
from ingest_email.domain.mime import MimePart, ParsedEmail, parse_message
from ingest_email.domain.sender_auth import check_sender
from ingest_email.domain.tenants import TenantDirectory, TenantMail
from ingest_email.domain.threading import ThreadDecision, decide_thread
from ingest_email.ports import ThreadIndexPort
from ingest_email.settings import EmailTenant

log = get_logger(__name__)

EMAILS = Counter(
    "cc_email_received_total", "Emails received, by door and outcome.", ["provider", "outcome"]
)


class UnknownRecipient(LookupError):
    """No tenant receives mail at any of the recipients."""


class Outcome(StrEnum):
    PUBLISHED = "published"
    LOOP_DROPPED = "loop_dropped"


@dataclass(frozen=True, slots=True)
class Accepted:
    tenant_id: str
    outcome: Outcome
    message_id: str
    conversation_key: str | None = None
    event: Envelope[Interaction] | None = None


class Blobs(Protocol):
    async def put(
        self, tenant_id: str, data: bytes, *, filename: str, content_type: str
    ) -> str: ...

    async def put_part(self, tenant_id: str, part: MimePart) -> AttachmentRef: ...


class EmailIntake:
    def __init__(
        self,
        *,
        directory: TenantDirectory[EmailTenant],
        index: ThreadIndexPort,
        blobs: Blobs,
        producer: Publisher,
        topic: str,
    ) -> None:
        self._directory = directory
        self._index = index
        self._blobs = blobs
        self._producer = producer
        self._topic = topic

    async def record_feedback(
        self, tenant_id: str, feedback: DeliveryFeedback, *, provider: str = "ses"
    ) -> Envelope[Any]:
        """A provider's word on mail we sent (bounce, complaint, delivery), durable."""
        known = await self._index.find(tenant_id, [feedback.message_id])
        sent = known.get(feedback.message_id)
        # Unknown to us (sent by another system of the tenant): kept, keyed by its id.
        conversation = sent.conversation_key if sent else f"email-feedback:{feedback.message_id}"
        event = feedback_event(
            tenant_id,
            feedback,
            conversation_key=conversation,
            received_at=utc_now(),
            provider=provider,
        )
        await self._producer.publish(self._topic, event)
        EMAILS.labels(provider, f"feedback_{feedback.status}").inc()
        log.info(
            "email.feedback_recorded",
            tenant_id=tenant_id,
            message_id=feedback.message_id,
            status=feedback.status,
            known=sent is not None,
        )
        return event

    def tenants_for(self, recipients: Sequence[str]) -> list[str]:
        """The tenants among envelope recipients (SMTP RCPT TO)."""
        return self._directory.tenants_of(recipients)

    async def accept(
        self,
        raw: bytes,
        *,
        provider: str,
        recipients: Sequence[str] = (),
        tenant_id: str | None = None,
    ) -> list[Accepted]:
        """Make the email durable for every tenant it is addressed to.

        Raises :class:`~ingest_email.domain.mime.UnreadableMessage` for input that
        is not mail and :class:`UnknownRecipient` when no tenant receives it.
        """
        # Off the event loop: a large or hostile message costs this thread, not every
        # other request the service is serving.
        parsed = await asyncio.to_thread(parse_message, raw)
        if tenant_id is not None:
            tenants = [tenant_id]
        else:
            addressed = recipients or [a.address for a in (*parsed.to, *parsed.cc)]
            tenants = self._directory.tenants_of(addressed)
        if not tenants:
            EMAILS.labels(provider, "unknown_recipient").inc()
            raise UnknownRecipient("no tenant receives mail at these recipients")
        received_at = utc_now()
        results = []
        for tenant in tenants:
            mail = self._directory.get_or_unconfigured(tenant)
            results.append(await self._accept_for(mail, parsed, raw, provider, received_at))
        return results

    async def _accept_for(
        self,
        mail: TenantMail[EmailTenant],
        parsed: ParsedEmail,
        raw: bytes,
        provider: str,
        received_at: datetime,
    ) -> Accepted:
        if _is_loop(mail, parsed):
            EMAILS.labels(provider, Outcome.LOOP_DROPPED.value).inc()
            log.info("email.loop_dropped", tenant_id=mail.tenant_id, message_id=parsed.message_id)
            return Accepted(mail.tenant_id, Outcome.LOOP_DROPPED, parsed.message_id)
        tenant = mail.tenant_id
        sender = check_sender(
            parsed.authentication_results, parsed.sender.address, mail.config.trusted_authserv_ids
        )
        classification = classify(
            parsed,
            staff_sender=mail.is_staff(parsed.sender.address),
            customer_recipient=_customer_recipient(mail, parsed),
            sender_authenticated=sender.authenticated,
        )
        if classification.unauthenticated_staff_claim:
            log.warning(
                "email.staff_claim_unauthenticated",
                tenant_id=tenant,
                message_id=parsed.message_id,
                reason=sender.reason,
            )
        thread = await self._thread(mail, parsed, classification)
        raw_blob_id = await self._blobs.put(
            tenant, raw, filename=f"{parsed.message_id}.eml", content_type="message/rfc822"
        )
        attachments = tuple([await self._blobs.put_part(tenant, p) for p in parsed.parts])
        event = inbound_email(
            tenant,
            parsed,
            provider=provider,
            received_at=received_at,
            classification=classification,
            thread=thread,
            attachments=attachments,
            raw_blob_id=raw_blob_id,
            skills=tuple(mail.config.skills),
            priority=mail.config.priority,
        )
        # The index entry owes the event: should the publish fail after it is written,
        # the relay publishes it even if the sender, told to retry, never does.
        owed = [Owed(self._topic, event)]
        await self._index.record(
            tenant,
            message_id=parsed.message_id,
            conversation_key=thread.conversation_key,
            participants=_participants(mail, parsed, classification),
            references=(*parsed.references, parsed.message_id),
            direction=classification.direction.value,
            at=received_at,
            subject=parsed.subject,
            owes=owed,
        )
        if not await publish_owed(self._producer.publish, owed):
            raise BrokerUnavailable("the broker did not acknowledge the email")
        await self._index.published(tenant, parsed.message_id)
        if parsed.bounce is not None and parsed.bounce.original_message_id:
            # The reply it returns is marked failed with the remote server's status.
            await self.record_feedback(
                tenant,
                DeliveryFeedback(
                    message_id=parsed.bounce.original_message_id,
                    status="failed",
                    recipients=parsed.bounce.recipients,
                    feedback_id=f"dsn:{parsed.message_id}",
                    error_code=parsed.bounce.status,
                    error_reason=parsed.subject,
                ),
                provider=provider,
            )
        EMAILS.labels(provider, Outcome.PUBLISHED.value).inc()
        log.info(
            "email.accepted",
            tenant_id=tenant,
            message_id=parsed.message_id,
            conversation_key=thread.conversation_key,
            thread_match=thread.match.value,
            kind=classification.kind.value,
            defects=len(parsed.defects),
        )
        return Accepted(
            tenant, Outcome.PUBLISHED, parsed.message_id, thread.conversation_key, event
        )

    async def _thread(
        self, mail: TenantMail[EmailTenant], parsed: ParsedEmail, classification: Classification
    ) -> ThreadDecision:
        known = await self._index.find(mail.tenant_id, [parsed.message_id, *parsed.thread_ids])
        token = token_in(parsed.subject)
        by_token = await self._index.by_token(mail.tenant_id, token) if token else None
        if parsed.bounce is not None and not parsed.bounce.recipients:
            # A bounce without a report names nobody: its original message decides.
            correspondents = frozenset().union(*(k.participants for k in known.values()))
        else:
            correspondents = frozenset({classification.customer.address})
        return decide_thread(
            message_id=parsed.message_id,
            thread_ids=parsed.thread_ids,
            known=known,
            by_token=by_token,
            correspondents=correspondents,
            forward=parsed.bounce is None and parsed.forwarded,
        )


def _is_loop(mail: TenantMail[EmailTenant], parsed: ParsedEmail) -> bool:
    """Our own mail coming back: from one of our addresses, or carrying our X-Loop mark."""
    if mail.is_own(parsed.sender.address):
        return True
    return any(mail.is_own(marker) for marker in parsed.loop_markers)


def _customer_recipient(mail: TenantMail[EmailTenant], parsed: ParsedEmail) -> EmailAddress | None:
    """The first recipient who is neither us nor staff (a staff reply's customer)."""
    return next(
        (
            a
            for a in (*parsed.to, *parsed.cc)
            if not mail.is_own(a.address) and not mail.is_staff(a.address)
        ),
        None,
    )


def _participants(
    mail: TenantMail[EmailTenant], parsed: ParsedEmail, classification: Classification
) -> list[str]:
    """The customer-side addresses a later reply may come from."""
    people = {classification.customer.address}
    for address in (parsed.sender, *parsed.to, *parsed.cc, *parsed.reply_to):
        if not mail.is_own(address.address) and not mail.is_staff(address.address):
            people.add(address.address)
    return sorted(people)
