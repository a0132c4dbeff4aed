"""How a parsed email becomes an interaction event (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cc_common.events import (
    INTERACTION_RECEIVED,
    AttachmentRef,
    Channel,
    Content,
    Direction,
    EmailAddress,
    EmailFacts,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    plausible_time,
    provider_event_id,
)
from cc_common.language import with_language
from ingest_email.domain.mime import ParsedEmail
from ingest_email.domain.threading import ThreadDecision

SOURCE = "ingest-email"


@dataclass(frozen=True, slots=True)
class Classification:
    """What kind of mail it is, decided before threading (see :func:`classify`)."""

    kind: InteractionKind
    direction: Direction
    customer: EmailAddress
    agent: EmailAddress | None = None
    sender_authenticated: bool = False
    """A trusted relay vouched for the From address (``sender_auth.py``)."""
    unauthenticated_staff_claim: bool = False
    """From a staff address, unproven: kept as a customer's mail, and flagged."""

    @property
    def sender_is_customer(self) -> bool:
        return self.direction is Direction.INBOUND


def classify(
    parsed: ParsedEmail,
    *,
    staff_sender: bool,
    customer_recipient: EmailAddress | None,
    sender_authenticated: bool = False,
) -> Classification:
    """Bounce, auto-reply, a colleague's reply from their own client (only when the
    sender is authenticated), or a customer's mail."""
    if parsed.bounce is not None:
        failed = parsed.bounce.recipients
        customer = EmailAddress(address=failed[0]) if failed else parsed.sender
        return Classification(InteractionKind.BOUNCE, Direction.INBOUND, customer)
    proven = sender_authenticated
    if staff_sender and customer_recipient is not None and proven:
        return Classification(
            InteractionKind.MESSAGE,
            Direction.OUTBOUND,
            customer_recipient,
            agent=parsed.sender,
            sender_authenticated=True,
        )
    kind = InteractionKind.MESSAGE
    if parsed.auto_submitted is not None:
        kind = InteractionKind.AUTO_REPLY
    return Classification(
        kind,
        Direction.INBOUND,
        parsed.sender,
        sender_authenticated=proven,
        unauthenticated_staff_claim=staff_sender and not proven,
    )


def inbound_email(
    tenant_id: str,
    parsed: ParsedEmail,
    *,
    provider: str,
    received_at: datetime,
    classification: Classification,
    thread: ThreadDecision,
    attachments: tuple[AttachmentRef, ...] = (),
    raw_blob_id: str | None = None,
    skills: tuple[str, ...] = (),
    priority: int = 0,
) -> Envelope[Interaction]:
    """The event for a received email; the same Message-ID is the same event."""
    routed = (
        classification.kind is InteractionKind.MESSAGE
        and classification.direction is Direction.INBOUND
    )
    verified = classification.sender_is_customer and classification.sender_authenticated
    parties = [_party(PartyRole.CUSTOMER, classification.customer, verified=verified)]
    if classification.agent is not None:
        parties.append(_party(PartyRole.AGENT, classification.agent))
    reply_to = parsed.reply_to[0] if parsed.reply_to and routed else None
    content = Content(
        subject=parsed.subject, text=parsed.text, html=parsed.html, attachments=attachments
    )
    if routed:  # the language of a customer's own words picks the queue
        content = with_language(content, parsed.content_language) or content
    language = content.language
    interaction = Interaction(
        channel=Channel.EMAIL,
        direction=classification.direction,
        kind=classification.kind,
        provider=provider,
        provider_message_id=parsed.message_id,
        conversation_key=thread.conversation_key,
        parties=tuple(parties),
        content=content,
        email=EmailFacts(
            message_id=parsed.message_id,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            sender=parsed.sender,
            to=parsed.to,
            cc=parsed.cc,
            reply_to=parsed.reply_to,
            quoted_text=parsed.quoted_text,
            raw_blob_id=raw_blob_id,
            thread_match=thread.match,
            related_conversation_key=thread.related_conversation_key,
            auto_submitted=parsed.auto_submitted,
            bounced_recipients=parsed.bounce.recipients if parsed.bounce else (),
            bounce_status=parsed.bounce.status if parsed.bounce else None,
            sent_by_staff=classification.agent is not None,
            sender_authenticated=classification.sender_authenticated,
            unauthenticated_staff_claim=classification.unauthenticated_staff_claim,
        ),
        reply_to=Identity(kind=IdentityKind.EMAIL, value=reply_to.address) if reply_to else None,
        routing_hints=RoutingHints(
            needs_human=routed, skills=skills, priority=priority, language=language
        ),
        parse_defects=parsed.defects,
        provider_time=parsed.date,
    )
    return Envelope[Interaction](
        id=provider_event_id(tenant_id, "email", parsed.message_id),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant_id,
        occurred_at=plausible_time(parsed.date, received_at),
        source=SOURCE,
        correlation_id=interaction.conversation_key,
        data=interaction,
    )


def _party(role: PartyRole, address: EmailAddress, *, verified: bool = False) -> Party:
    return Party(
        role=role,
        display_name=address.name[:200] if address.name else None,
        identities=(Identity(kind=IdentityKind.EMAIL, value=address.address, verified=verified),),
    )
