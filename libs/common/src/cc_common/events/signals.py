"""Conversation signals (``cc.signals.v1``): ephemeral news for live connections.

Every instance of a service that holds live connections (visitors' WebSockets in
ingest-chat, agents' event streams in the case service) reads this topic in a consumer
group of its own from the latest offset, so whichever instance holds the person gets
the signal. Nothing here is stored on a timeline: a signal missed is a typing dot not
shown, or a message the visitor fetches with ``resume``.
"""

from __future__ import annotations

import uuid
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cc_common.events.envelope import Envelope, utc_now
from cc_common.events.interaction import Channel

CONVERSATION_TYPING: Final = "conversation.typing"
WEBCHAT_MESSAGE_STORED: Final = "webchat.message_stored"
CASE_PRESENCE: Final = "case.presence"


class ConversationTyping(BaseModel):
    """Someone started or stopped typing in a conversation."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    conversation_key: str
    channel: Channel
    party: Literal["customer", "agent"]
    agent_id: str | None = Field(default=None, description="The agent typing, for agents.")
    active: bool = Field(default=True, description="False: stopped typing.")


class WebchatMessageStored(BaseModel):
    """An agent's message for a web-chat visitor was stored as number ``seq``; every
    instance holding the visitor's socket pushes what the socket has not had yet."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    conversation_key: str
    seq: int = Field(ge=1)


class CasePresence(BaseModel):
    """An agent has a case open (viewing), is writing a reply on it (drafting), or
    left it; colleagues' desks show who, so two agents do not answer at once."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    case_id: str
    customer_id: str
    agent_id: str
    state: Literal["viewing", "drafting", "left"]
    taken_over_by: str | None = Field(
        default=None, description="Set when another agent sent over this agent's draft."
    )


def case_presence_signal(
    tenant_id: str, presence: CasePresence, *, source: str
) -> Envelope[CasePresence]:
    head = _head(tenant_id, CASE_PRESENCE, presence.case_id, source)
    return Envelope[CasePresence](**head, data=presence)


def typing_signal(
    tenant_id: str, typing: ConversationTyping, *, source: str
) -> Envelope[ConversationTyping]:
    head = _head(tenant_id, CONVERSATION_TYPING, typing.conversation_key, source)
    return Envelope[ConversationTyping](**head, data=typing)


def message_stored_signal(
    tenant_id: str, conversation_key: str, seq: int, *, source: str
) -> Envelope[WebchatMessageStored]:
    stored = WebchatMessageStored(conversation_key=conversation_key, seq=seq)
    head = _head(tenant_id, WEBCHAT_MESSAGE_STORED, conversation_key, source)
    return Envelope[WebchatMessageStored](**head, data=stored)


def _head(tenant_id: str, event_type: str, conversation_key: str, source: str) -> dict[str, Any]:
    """A signal's envelope fields: a fresh id (signals are never de-duplicated or stored)."""
    return {
        "id": uuid.uuid4(),
        "type": event_type,
        "tenant_id": tenant_id,
        "occurred_at": utc_now(),
        "source": source,
        "correlation_id": conversation_key,
    }
