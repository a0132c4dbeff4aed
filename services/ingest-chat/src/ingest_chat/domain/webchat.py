"""Web chat rules: a visitor's conversation and how its messages become interactions."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from cc_common.events import (
    INTERACTION_RECEIVED,
    AttachmentRef,
    Channel,
    Content,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    provider_event_id,
)
from ingest_chat.domain.messaging import interaction_event, status_update

PROVIDER = "webchat"
SOURCE = "ingest-chat"


@dataclass(frozen=True, slots=True)
class VisitorConversation:
    """What the signed conversation token vouches for."""

    tenant_id: str
    conversation_id: str
    visitor_id: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    email_verified: bool = False
    """The visitor proved the email with a code sent to it (``verification.py``)."""
    phone_verified: bool = False

    @property
    def conversation_key(self) -> str:
        """The conversation key shared by every message of this chat."""
        return f"webchat:{self.conversation_id}"

    def with_verified(self, kind: str) -> VisitorConversation:
        """The conversation once the visitor proved its ``email`` or ``phone``."""
        if kind == "email":
            return dataclasses.replace(self, email_verified=True)
        return dataclasses.replace(self, phone_verified=True)

    def identities(self) -> tuple[Identity, ...]:
        """The visitor id (ours, so verified) and what the visitor typed: claimed, so it
        finds no customer, unless the visitor proved it with a code."""
        found = [
            Identity(kind=IdentityKind.WEBCHAT_VISITOR_ID, value=self.visitor_id, verified=True)
        ]
        if self.email:
            email = self.email.strip().lower()
            if self.email_verified:
                found.append(Identity(kind=IdentityKind.EMAIL, value=email, verified=True))
            else:
                found.append(Identity(kind=IdentityKind.EMAIL, value=email, claimed=True))
        if self.phone:
            proven = self.phone_verified
            found.append(
                Identity(
                    kind=IdentityKind.PHONE, value=self.phone, verified=proven, claimed=not proven
                )
            )
        return tuple(found)


def visitor_left(conversation: VisitorConversation, *, left_at: datetime) -> Envelope[Interaction]:
    """The visitor closed the chat: waiting work for it is abandoned (one event per chat)."""
    return _visitor_event(
        conversation,
        message_key="#closed",  # '#' never appears in a client message id
        at=left_at,
        kind=InteractionKind.STATUS,
        text="The visitor left the chat.",
        hints=RoutingHints(needs_human=False, cancels_work=True),
    )


def visitor_message(
    conversation: VisitorConversation,
    *,
    client_message_id: str,
    text: str,
    sent_at: datetime,
    attachments: tuple[AttachmentRef, ...] = (),
) -> Envelope[Interaction]:
    """The event for a visitor's message; a resend of the same client id is the same event."""
    return _visitor_event(
        conversation,
        message_key=client_message_id,
        at=sent_at,
        kind=InteractionKind.MESSAGE,
        text=text,
        hints=RoutingHints(),
        attachments=attachments,
    )


def _visitor_event(
    conversation: VisitorConversation,
    *,
    message_key: str,
    at: datetime,
    kind: InteractionKind,
    text: str,
    hints: RoutingHints,
    attachments: tuple[AttachmentRef, ...] = (),
) -> Envelope[Interaction]:
    provider_message_id = f"{conversation.conversation_id}:{message_key}"
    interaction = Interaction(
        channel=Channel.WEBCHAT,
        direction=Direction.INBOUND,
        kind=kind,
        provider=PROVIDER,
        provider_message_id=provider_message_id,
        conversation_key=conversation.conversation_key,
        parties=(
            Party(
                role=PartyRole.CUSTOMER,
                display_name=conversation.name,
                identities=conversation.identities(),
            ),
        ),
        content=Content(text=text, attachments=attachments),
        routing_hints=hints,
    )
    return Envelope[Interaction](
        id=provider_event_id(conversation.tenant_id, PROVIDER, provider_message_id),
        type=INTERACTION_RECEIVED,
        tenant_id=conversation.tenant_id,
        occurred_at=at,
        source=SOURCE,
        correlation_id=conversation.conversation_key,
        data=interaction,
    )


def visitor_read(
    conversation: VisitorConversation, *, reply_id: str, read_at: datetime
) -> Envelope[Interaction]:
    """The visitor saw an agent's message: a read receipt for that reply."""
    return interaction_event(
        conversation.tenant_id,
        status_update(
            channel=Channel.WEBCHAT,
            provider=PROVIDER,
            event_key=f"{conversation.conversation_id}:read:{reply_id}",
            conversation_key=conversation.conversation_key,
            identities=conversation.identities(),
            of_message=reply_id,
            status="read",
            at=read_at,
        ),
    )
