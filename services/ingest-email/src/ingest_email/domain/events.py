"""How a parsed email becomes an interaction event (pure)."""

from __future__ import annotations

from datetime import datetime

from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Content,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    Party,
    PartyRole,
    provider_event_id,
)
from ingest_email.domain.mime import ParsedEmail

SOURCE = "ingest-email"


def inbound_email(
    tenant_id: str, parsed: ParsedEmail, *, provider: str, received_at: datetime
) -> Envelope[Interaction]:
    """The event for an inbound email; the same Message-ID is the same event."""
    interaction = Interaction(
        channel=Channel.EMAIL,
        direction=Direction.INBOUND,
        provider=provider,
        provider_message_id=parsed.message_id,
        conversation_key=f"email:{parsed.thread_root}",
        parties=(
            Party(
                role=PartyRole.CUSTOMER,
                display_name=parsed.sender_name,
                identities=(Identity(kind=IdentityKind.EMAIL, value=parsed.sender_address),),
            ),
        ),
        content=Content(subject=parsed.subject, text=parsed.text),
        parse_defects=parsed.defects,
    )
    return Envelope[Interaction](
        id=provider_event_id(tenant_id, "email", parsed.message_id),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant_id,
        occurred_at=parsed.date or received_at,
        source=SOURCE,
        correlation_id=interaction.conversation_key,
        data=interaction,
    )
