"""One shape for every messaging provider's inbound event (pure).

Each provider module decides what an event says; this builds the interaction
and its envelope the same way for all of them. The event id derives from the
provider's own id of the event, so a provider's retry is the same event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Content,
    Direction,
    Envelope,
    Identity,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    epoch_time,
    plausible_time,
    provider_event_id,
)
from cc_common.language import with_language

SOURCE = "ingest-chat"
ROUTED = RoutingHints()
QUIET = RoutingHints(needs_human=False)


@dataclass(frozen=True, slots=True)
class Inbound:
    """What one provider event says, before it becomes an interaction."""

    channel: Channel
    provider: str
    event_key: str
    """The provider's id of the event (message id, update id): the dedup key."""
    conversation_key: str
    identities: tuple[Identity, ...]
    kind: InteractionKind
    content: Content | None
    at: datetime | None
    """The provider's time of the event (None when it states none)."""
    message_id: str | None = None
    display_name: str | None = None
    hints: RoutingHints = ROUTED
    direction: Direction = Direction.INBOUND
    provider_ids: dict[str, str] = field(default_factory=dict)
    language_hint: str | None = None
    """The provider's word on the user's language (Telegram ``language_code``)."""


def interaction_event(
    tenant_id: str, inbound: Inbound, *, received_at: datetime | None = None
) -> Envelope[Interaction]:
    received_at = received_at or datetime.now(UTC)
    content, hints = inbound.content, inbound.hints
    if inbound.kind is InteractionKind.MESSAGE and inbound.direction is Direction.INBOUND:
        content = with_language(content, inbound.language_hint)
        if content is not None and content.language:
            hints = hints.model_copy(update={"language": content.language})
    interaction = Interaction(
        channel=inbound.channel,
        direction=inbound.direction,
        kind=inbound.kind,
        provider=inbound.provider,
        provider_message_id=inbound.message_id or inbound.event_key,
        provider_ids=inbound.provider_ids,
        conversation_key=inbound.conversation_key,
        parties=(
            Party(
                role=PartyRole.CUSTOMER,
                display_name=inbound.display_name[:200] if inbound.display_name else None,
                identities=inbound.identities,
            ),
        ),
        content=content,
        routing_hints=hints,
        provider_time=inbound.at,
    )
    return Envelope[Interaction](
        id=provider_event_id(tenant_id, inbound.provider, inbound.event_key),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant_id,
        occurred_at=plausible_time(inbound.at, received_at),
        source=SOURCE,
        correlation_id=inbound.conversation_key,
        data=interaction,
    )


def from_epoch(value: object) -> datetime | None:
    """A provider timestamp in seconds or milliseconds (number or digits), or None."""
    return epoch_time(value)


def status_update(
    *,
    channel: Channel,
    provider: str,
    event_key: str,
    conversation_key: str,
    identities: tuple[Identity, ...],
    of_message: str,
    status: str,
    at: datetime | None,
    error_code: str | None = None,
    error_reason: str | None = None,
) -> Inbound:
    """A delivery or read status: it updates the message it is about, never opens work.

    A failure keeps the provider's error code and reason for the agent to read.
    """
    error = {"error_code": error_code, "error_reason": error_reason}
    return Inbound(
        channel=channel,
        provider=provider,
        event_key=event_key,
        conversation_key=conversation_key,
        identities=identities,
        kind=InteractionKind.STATUS,
        content=None,
        at=at,
        hints=QUIET,
        direction=Direction.OUTBOUND,
        provider_ids={
            "status_of": of_message,
            "delivery": status,
            **{key: value[:500] for key, value in error.items() if value},
        },
    )
