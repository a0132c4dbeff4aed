"""Outbound requests: an agent's reply on its way to a channel, a one-time code."""

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


class VerificationRequested(BaseModel):
    """Send a one-time code to an address a person typed, to prove it is theirs.

    The code travels in clear to the channel service that sends it (as a password-reset
    mail would): the broker is inside the trust boundary; logs and timelines never
    hold it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    challenge_id: uuid.UUID = Field(description="One id per code sent (a redelivery is the same).")
    channel: Channel
    recipient: Identity
    code: str = Field(pattern=r"^[0-9]{6}$", repr=False)
    expires_at: datetime

    def minutes_left(self, now: datetime) -> int:
        """Whole minutes the code still works (at least one, for the message)."""
        return max(1, int((self.expires_at - now).total_seconds() // 60))
