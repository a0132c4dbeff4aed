"""Outbound requests: an agent's reply on its way to a channel."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from cc_common.events.interaction import Channel, Content, Identity


class MessageTemplate(BaseModel):
    """A provider-approved template message (WhatsApp), by name and language."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="en", min_length=2, max_length=15)
    parameters: tuple[str, ...] = Field(default=(), max_length=20)


class OutboundRequested(BaseModel):
    """Send this content to the customer on this channel, in this conversation."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    reply_id: uuid.UUID = Field(description="Idempotency key of the agent's reply.")
    channel: Channel
    conversation_key: str
    case_id: str | None = None
    agent_id: str
    recipient: Identity
    content: Content
    in_reply_to: str | None = Field(default=None, description="Provider id being answered.")
    customer_last_inbound_at: datetime | None = Field(
        default=None, description="When the customer last wrote (WhatsApp's 24-hour window)."
    )
    template: MessageTemplate | None = Field(
        default=None, description="An approved template, required outside the window."
    )


class OutboundFailed(BaseModel):
    """A reply the channel could not deliver and will not retry."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    reply_id: uuid.UUID
    channel: Channel
    conversation_key: str
    reason: str = Field(max_length=1000)


class CallbackRequested(BaseModel):
    """Call this customer back: outbound work for the router (one open per customer)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    customer_id: str
    phone: str = Field(description="E.164 number to call.")
    reason: str = Field(description="e.g. abandoned_in_queue, missed, agent_request.")
    call_conversation_key: str | None = Field(
        default=None, description="The call that was missed or abandoned."
    )
