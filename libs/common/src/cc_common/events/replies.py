"""The two answers a channel gives to an agent's reply: sent (on the timeline) or failed.

Both ids derive from the reply id, so a channel that handles the same request
twice announces the same event twice, and the case service settles the reply once.
"""

from __future__ import annotations

from datetime import datetime

from cc_common.events.envelope import Envelope, derived_event_id
from cc_common.events.interaction import (
    Content,
    Direction,
    EmailFacts,
    Identity,
    Interaction,
    Party,
    PartyRole,
    RoutingHints,
)
from cc_common.events.outbound import OutboundFailed, OutboundRequested
from cc_common.events.registry import INTERACTION_RECEIVED, OUTBOUND_FAILED


def reply_sent(
    request: Envelope[OutboundRequested],
    *,
    provider: str,
    provider_message_id: str | None,
    sent_at: datetime,
    source: str,
    content: Content | None = None,
    email: EmailFacts | None = None,
) -> Envelope[Interaction]:
    """The reply as it went out: an outbound interaction of the conversation."""
    data = request.data
    interaction = Interaction(
        channel=data.channel,
        direction=Direction.OUTBOUND,
        provider=provider,
        provider_message_id=provider_message_id,
        provider_ids={"reply_id": str(data.reply_id)},
        conversation_key=data.conversation_key,
        parties=(
            Party(
                role=PartyRole.CUSTOMER,
                identities=(Identity(kind=data.recipient.kind, value=data.recipient.value),),
            ),
            Party(role=PartyRole.AGENT, display_name=data.agent_id),
        ),
        content=content or data.content,
        email=email,
        routing_hints=RoutingHints(needs_human=False),
    )
    return Envelope[Interaction](
        id=derived_event_id(data.reply_id, "sent"),
        type=INTERACTION_RECEIVED,
        tenant_id=request.tenant_id,
        occurred_at=sent_at,
        source=source,
        correlation_id=data.conversation_key,
        causation_id=str(request.id),
        data=interaction,
    )


def reply_failed(
    request: Envelope[OutboundRequested], *, reason: str, failed_at: datetime, source: str
) -> Envelope[OutboundFailed]:
    """The channel will not deliver the reply (a permanent refusal, or no way to send)."""
    data = request.data
    return Envelope[OutboundFailed](
        id=derived_event_id(data.reply_id, "failed"),
        type=OUTBOUND_FAILED,
        tenant_id=request.tenant_id,
        occurred_at=failed_at,
        source=source,
        correlation_id=data.conversation_key,
        causation_id=str(request.id),
        data=OutboundFailed(
            reply_id=data.reply_id,
            channel=data.channel,
            conversation_key=data.conversation_key,
            reason=reason[:1000],
        ),
    )
