"""Visitor-facing web chat routes (REST): start a conversation, send a message."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from cc_common.events.envelope import TENANT_ID_PATTERN, utc_now
from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_chat.adapters.visitor_tokens import InvalidVisitorToken, VisitorTokens
from ingest_chat.domain.webchat import VisitorConversation, visitor_left, visitor_message

router = APIRouter(prefix="/v1/webchat", tags=["web chat"])


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field(pattern=TENANT_ID_PATTERN)
    name: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+[1-9][0-9]{6,14}$")


class ConversationRead(BaseModel):
    conversation_id: str
    visitor_id: str
    token: str


class MessageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_message_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    text: str = Field(min_length=1, max_length=10_000)


class MessageAccepted(BaseModel):
    event_id: uuid.UUID
    conversation_id: str


def _tokens(request: Request) -> VisitorTokens:
    tokens: VisitorTokens = request.app.state.visitor_tokens
    return tokens


def _producer(request: Request) -> EventProducer:
    producer: EventProducer = request.app.state.runtime.producer
    return producer


TokensDep = Annotated[VisitorTokens, Depends(_tokens)]
ProducerDep = Annotated[EventProducer, Depends(_producer)]


def _conversation(
    tokens: TokensDep, authorization: Annotated[str | None, Header()] = None
) -> VisitorConversation:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "A conversation token is required.")
    try:
        return tokens.verify(token)
    except InvalidVisitorToken as exc:
        raise HTTPException(401, "The conversation token is invalid or expired.") from exc


ConversationDep = Annotated[VisitorConversation, Depends(_conversation)]


@router.post("/conversations", status_code=201)
async def start_conversation(body: ConversationCreate, tokens: TokensDep) -> ConversationRead:
    """Start a conversation; the token authorises the visitor's later messages."""
    conversation = VisitorConversation(
        tenant_id=body.tenant_id,
        conversation_id=str(uuid.uuid4()),
        visitor_id=str(uuid.uuid4()),
        name=body.name,
        email=str(body.email) if body.email else None,
        phone=body.phone,
    )
    return ConversationRead(
        conversation_id=conversation.conversation_id,
        visitor_id=conversation.visitor_id,
        token=tokens.issue(conversation),
    )


@router.post("/conversations/current/close", status_code=202)
async def close_conversation(
    conversation: ConversationDep, producer: ProducerDep
) -> MessageAccepted:
    """The visitor leaves: work still waiting for an agent is abandoned."""
    event = visitor_left(conversation, left_at=utc_now())
    await producer.publish(INTERACTIONS.name, event)
    return MessageAccepted(event_id=event.id, conversation_id=conversation.conversation_id)


@router.post("/messages", status_code=202)
async def send_message(
    body: MessageCreate, conversation: ConversationDep, producer: ProducerDep
) -> MessageAccepted:
    """Accept a visitor message once the broker has it; a resend is the same event."""
    event = visitor_message(
        conversation, client_message_id=body.client_message_id, text=body.text, sent_at=utc_now()
    )
    await producer.publish(INTERACTIONS.name, event)
    return MessageAccepted(event_id=event.id, conversation_id=conversation.conversation_id)
