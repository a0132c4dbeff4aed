"""Agents' replies: who gets them, their idempotent id, and their timeline entry (pure).

A reply is stored as a pending timeline entry holding the ``outbound.requested``
event it must announce (an outbox in the same document, so storing and
announcing cannot disagree). The channel's confirmation later settles the same
entry as sent (or failed): the reply appears on the timeline exactly once.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from case_service.domain.errors import Invalid, Refused, TooLarge
from case_service.domain.model import Case
from case_service.domain.search import searchable
from cc_common.channels import needs_template
from cc_common.events import (
    OUTBOUND_REQUESTED,
    Channel,
    Content,
    Envelope,
    Identity,
    Interaction,
    MessageTemplate,
    OutboundRequested,
)
from cc_common.events.envelope import EVENT_ID_NAMESPACE
from cc_common.events.registry import encode_event

SUMMARY_CHARS = 280
SENT_HEADROOM_BYTES = 16_384
"""Room kept for what a channel adds when it announces the sent reply (addresses,
message ids, references, provider ids): that event is the larger of the two."""


class NoReplyAddress(Refused):
    """The customer has not written on this case, so there is nowhere to reply."""


class TemplateRequired(Invalid):
    """The channel's rules allow only an approved template now (WhatsApp's window)."""


AWAITING_APPROVAL = "awaiting_approval"
HELD = "held_events"
"""A reply awaiting approval keeps the request for its channel here, outside the
outbox, so nothing sends it until a supervisor approves."""


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """Whose replies a supervisor approves before they go (承認): chosen agents', and
    every reply on a case in a chosen queue."""

    agents: frozenset[str] = frozenset()
    queues: frozenset[str] = frozenset()

    def needs(self, agent_id: str, queue: str | None) -> bool:
        return agent_id in self.agents or (queue is not None and queue in self.queues)


def held_for_approval(entry: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """The reply entry awaiting approval, holding its channel request (``request``: the
    outbound event's outbox item) where the outbox relay does not look."""
    return {
        **entry,
        "reply": {**entry["reply"], "status": AWAITING_APPROVAL},
        HELD: [request],
    }


class UnknownTemplate(Invalid):
    """Not one of the tenant's approved templates (name, language, parameter count)."""


@dataclass(frozen=True, slots=True)
class ApprovedTemplate:
    """A template the provider approved for the tenant: what the desk offers outside
    WhatsApp's window, and what a reply's ``template`` is checked against."""

    name: str
    language: str
    parameters: int = 0
    text: str = ""
    """The approved wording with ``{{1}}``-style parameters, shown to the agent."""


def check_template(template: MessageTemplate | None, approved: Sequence[ApprovedTemplate]) -> None:
    """Refuse a template the tenant has not listed. A tenant that lists none leaves the
    check to the provider (which refuses unknown templates when sending)."""
    if template is None or not approved:
        return
    for known in approved:
        if (known.name, known.language) == (template.name, template.language):
            if len(template.parameters) != known.parameters:
                raise UnknownTemplate(
                    f"template {template.name!r} ({template.language}) takes"
                    f" {known.parameters} parameter(s), not {len(template.parameters)}"
                )
            return
    raise UnknownTemplate(
        f"{template.name!r} ({template.language}) is not one of this tenant's approved templates"
    )


def reply_target(interaction: Interaction) -> Identity | None:
    """Where answers to an inbound interaction go: its reply-to, else the sender."""
    if interaction.reply_to is not None:
        return interaction.reply_to
    customer = interaction.customer()
    return customer.identities[0] if customer and customer.identities else None


def reply_id_for(tenant_id: str, agent_id: str, idempotency_key: str | None) -> uuid.UUID:
    """The same key from the same agent is the same reply; no key, a new reply."""
    if not idempotency_key:
        return uuid.uuid4()
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"reply|{tenant_id}|{agent_id}|{idempotency_key}")


def fingerprint(content: Content) -> str:
    """What the agent asked to send (a reused key with other content is a client error)."""
    canonical = json.dumps(content.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def reply_request(
    case: Case,
    *,
    tenant_id: str,
    agent_id: str,
    reply_id: uuid.UUID,
    content: Content,
    at: datetime,
    template: MessageTemplate | None = None,
) -> Envelope[OutboundRequested]:
    """The ``outbound.requested`` event of a reply on the case's channel."""
    target = case.reply_to
    if not target:
        raise NoReplyAddress("the customer has not written on this case yet")
    channel = Channel(case.channel)
    last_inbound_at = case.last_inbound_at
    if template is None and needs_template(channel, last_inbound_at, at):
        raise TemplateRequired(
            "the customer last wrote more than 24 hours ago: WhatsApp only allows an"
            " approved template now (give one in 'template')"
        )
    subject = content.subject or case.subject
    return Envelope[OutboundRequested](
        id=reply_id,
        type=OUTBOUND_REQUESTED,
        tenant_id=tenant_id,
        occurred_at=at,
        source="case-api",
        correlation_id=case.conversation_key,
        data=OutboundRequested(
            reply_id=reply_id,
            channel=channel,
            conversation_key=case.conversation_key or "",
            case_id=case.id,
            agent_id=agent_id,
            recipient=Identity.model_validate(target),
            content=content.model_copy(update={"subject": subject}),
            in_reply_to=case.last_inbound_message_id,
            customer_last_inbound_at=last_inbound_at,
            template=template,
        ),
    )


def reply_entry(
    event: Envelope[OutboundRequested], *, customer_id: str, content_hash: str
) -> dict[str, Any]:
    """The pending timeline entry of a reply (it owes the request: see ``with_announcement``)."""
    request = event.data
    text = request.content.text or ""
    return {
        "_id": str(request.reply_id),
        "tenant_id": event.tenant_id,
        "customer_id": customer_id,
        "case_id": request.case_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "order": 0,
        "entry_type": "reply",
        "kind": "message",
        "channel": request.channel.value,
        "direction": "outbound",
        "conversation_key": request.conversation_key,
        "summary": text[:SUMMARY_CHARS] or None,
        "reply": {
            "reply_id": str(request.reply_id),
            "status": "pending",
            "agent_id": request.agent_id,
            "recipient": request.recipient.model_dump(mode="json"),
            "content": request.content.model_dump(mode="json"),
            "content_hash": content_hash,
        },
        **searchable([request.content.subject, text]),
    }


def check_reply_size(event: Envelope[OutboundRequested], max_event_bytes: int) -> None:
    """Refuse a reply whose events would be over the broker's limit: checked in bytes of
    the event itself (multibyte text counts as it is sent), keeping room for the larger
    event that announces it sent."""
    size = len(encode_event(event))
    limit = max_event_bytes - SENT_HEADROOM_BYTES
    if size > limit:
        raise TooLarge(
            f"The reply is {size} bytes as an event; at most {limit} bytes can be sent.",
            size_bytes=size,
            limit_bytes=limit,
        )
