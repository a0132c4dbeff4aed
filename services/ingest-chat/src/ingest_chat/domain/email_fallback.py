"""The email a web-chat visitor gets when an agent's messages went unseen (pure).

It is an ordinary email reply request on ``cc.outbound.v1``: ingest-email sends it
from the tenant's address and indexes it under the web-chat conversation, so the
visitor's answer by email joins the same conversation and case.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from cc_common.events import (
    OUTBOUND_REQUESTED,
    Channel,
    Content,
    Envelope,
    Identity,
    IdentityKind,
    OutboundRequested,
    utc_now,
)
from cc_common.events.envelope import EVENT_ID_NAMESPACE
from ingest_chat.domain.webchat_wire import AgentMessage

SOURCE = "ingest-chat"


def fallback_request(
    tenant_id: str, conversation_id: str, email: str, messages: Sequence[AgentMessage]
) -> Envelope[OutboundRequested]:
    """One email carrying every unseen message, in order (its id follows the last one,
    so a repeated request is the same email)."""
    ordered = sorted(messages, key=lambda m: m.seq)
    last = ordered[-1]
    reply_id = uuid.uuid5(EVENT_ID_NAMESPACE, f"webchat-email|{tenant_id}|{last.reply_id}")
    lines = [f"{m.agent} ({m.at:%Y-%m-%d %H:%M} UTC):\n{m.text}" for m in ordered]
    text = (
        "You left our chat before seeing these messages:\n\n"
        + "\n\n".join(lines)
        + "\n\nAnswer this email, or come back to the chat, to continue."
    )
    conversation_key = f"webchat:{conversation_id}"
    return Envelope[OutboundRequested](
        id=uuid.uuid5(EVENT_ID_NAMESPACE, f"requested|{reply_id}"),
        type=OUTBOUND_REQUESTED,
        tenant_id=tenant_id,
        occurred_at=utc_now(),
        source=SOURCE,
        correlation_id=conversation_key,
        data=OutboundRequested(
            reply_id=reply_id,
            channel=Channel.EMAIL,
            conversation_key=conversation_key,
            agent_id=last.agent,
            recipient=Identity(kind=IdentityKind.EMAIL, value=email.lower()),
            content=Content(subject="Your chat with us", text=text),
        ),
    )
