"""Sends agents' email replies (``outbound.requested`` on the email channel).

The reply's Message-ID derives from its id. Once the relay has taken the mail, the
thread index records it together with the event announcing it sent (the shared outbox:
published at once, or by the outbox relay if the broker or the process failed), so a
request delivered again is announced again without sending the mail a second time. The
sent message is published back as an outbound interaction with an id derived from the
reply, so it lands on the timeline exactly once; a relay's permanent refusal becomes
``outbound.failed`` instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from cc_common.errors import PermanentError
from cc_common.events import (
    Channel,
    Content,
    Direction,
    EmailAddress,
    EmailFacts,
    Envelope,
    Interaction,
    OutboundRequested,
    Publisher,
    ThreadMatch,
    outbound_request_for,
    utc_now,
)
from cc_common.events.owed import Owed
from cc_common.events.replies import reply_failed, reply_sent
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from cc_common.outbox import publish_owed
from ingest_email.adapters.relay import PermanentSendFailure
from ingest_email.domain.case_tokens import case_token
from ingest_email.domain.replies import (
    compose_reply,
    reply_message_id,
    reply_subject,
    thread_references,
)
from ingest_email.domain.tenants import TenantDirectory
from ingest_email.domain.threading import KnownMessage
from ingest_email.ports import ThreadIndexPort
from ingest_email.settings import EmailTenant

log = get_logger(__name__)
SOURCE = "ingest-email"


class Sender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class EmailReplyHandler:
    def __init__(
        self,
        *,
        directory: TenantDirectory[EmailTenant],
        index: ThreadIndexPort,
        relay: Sender,
        producer: Publisher,
        topic: str,
    ) -> None:
        self._directory = directory
        self._index = index
        self._relay = relay
        self._producer = producer
        self._topic = topic

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        request = outbound_request_for(event, (Channel.EMAIL,))
        if request is None:
            return
        mail = self._directory.get_or_unconfigured(event.tenant_id)
        from_address = mail.reply_from
        if from_address is None:
            await self._fail(event, "the tenant has no address to send email from")
            return
        parent = await self._parent(event.tenant_id, request)
        message_id = reply_message_id(str(request.reply_id), from_address)
        subject = reply_subject(
            request.content.subject, request.case_id, answering=request.in_reply_to is not None
        )
        references = thread_references(parent.references if parent else (), request.in_reply_to)
        sent_at = utc_now()
        sent = sent_interaction(
            event,
            from_address=from_address,
            from_name=mail.config.from_name,
            message_id=message_id,
            subject=subject,
            references=references,
            sent_at=sent_at,
        )
        if await self._index.find(event.tenant_id, [message_id]):
            # Sent and recorded on an earlier delivery: announce again (the same event id,
            # a repeat consumers drop), never send the mail twice.
            log.info("email.reply_already_sent", reply_id=str(request.reply_id))
            await self._producer.publish(self._topic, sent)
            await self._index.published(event.tenant_id, message_id)
            return
        try:
            message = compose_reply(
                request,
                from_address=from_address,
                from_name=mail.config.from_name,
                subject=subject,
                message_id=message_id,
                references=references,
                sent_at=sent_at,
            )
        except ValueError as exc:  # e.g. a header the email library will not write
            raise PermanentError(f"the reply cannot be written as email: {exc}") from exc
        try:
            await self._relay.send(message)
        except PermanentSendFailure as exc:
            await self._fail(event, f"the mail relay refused the reply: {exc}")
            return
        # Recorded with the event announcing it sent: from here on, a failure to announce
        # is the relay's to repair, not a reason to send again.
        owed = [Owed(self._topic, sent)]
        await self._remember(
            event.tenant_id, request, message_id, references, subject, sent_at, owed
        )
        if await publish_owed(self._producer.publish, owed):
            await self._index.published(event.tenant_id, message_id)
        log.info(
            "email.reply_sent",
            tenant_id=event.tenant_id,
            reply_id=str(request.reply_id),
            message_id=message_id,
        )

    async def _parent(self, tenant_id: str, request: OutboundRequested) -> KnownMessage | None:
        if not request.in_reply_to:
            return None
        found = await self._index.find(tenant_id, [request.in_reply_to])
        return found.get(request.in_reply_to)

    async def _remember(
        self,
        tenant_id: str,
        request: OutboundRequested,
        message_id: str,
        references: tuple[str, ...],
        subject: str,
        sent_at: datetime,
        owes: Sequence[Owed],
    ) -> None:
        """Index what we sent so the customer's answer threads onto the conversation."""
        participants = [request.recipient.value.lower()]
        await self._index.record(
            tenant_id,
            message_id=message_id,
            conversation_key=request.conversation_key,
            participants=participants,
            references=(*references, message_id),
            direction=Direction.OUTBOUND.value,
            at=sent_at,
            subject=subject,
            owes=owes,
        )
        if request.case_id:
            await self._index.record_token(
                tenant_id,
                case_token(request.case_id),
                conversation_key=request.conversation_key,
                participants=participants,
            )

    async def _fail(self, event: Envelope[OutboundRequested], reason: str) -> None:
        log.warning(
            "email.reply_failed",
            tenant_id=event.tenant_id,
            reply_id=str(event.data.reply_id),
            reason=reason,
        )
        failure = reply_failed(event, reason=reason, failed_at=utc_now(), source=SOURCE)
        await self._producer.publish(self._topic, failure)


def sent_interaction(
    event: Envelope[OutboundRequested],
    *,
    from_address: str,
    from_name: str | None,
    message_id: str,
    subject: str,
    references: tuple[str, ...],
    sent_at: datetime,
) -> Envelope[Interaction]:
    """The reply as it went out, for the timeline (its id derives from the reply's)."""
    request = event.data
    recipient = request.recipient.value.lower()
    return reply_sent(
        event,
        provider="smtp",
        provider_message_id=message_id,
        sent_at=sent_at,
        source=SOURCE,
        content=Content(subject=subject, text=request.content.text, html=request.content.html),
        email=EmailFacts(
            message_id=message_id,
            in_reply_to=request.in_reply_to,
            references=references,
            sender=EmailAddress(address=from_address, name=from_name),
            to=(EmailAddress(address=recipient),),
            thread_match=ThreadMatch.REPLY if request.in_reply_to else ThreadMatch.NEW,
        ),
    )
