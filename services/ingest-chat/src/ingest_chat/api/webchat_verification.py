"""A web-chat visitor proves the email or phone they typed: a code is sent to it (by
mail, by SMS), and the visitor enters it to get a conversation token that carries it
as verified. Until then it is a claim: it finds no customer, and an email gets no
mail from us."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from cc_common.events import utc_now
from cc_common.logging import get_logger
from cc_common.topics import OUTBOUND
from ingest_chat.adapters.agent_messages import AgentMessages
from ingest_chat.adapters.verification_codes import VerificationCodes
from ingest_chat.api.webchat import ConversationDep, ConversationRead, ProducerDep, TokensDep
from ingest_chat.domain.verification import (
    CODE_TTL,
    MAX_ATTEMPTS,
    SEND_WINDOW,
    Outcome,
    code_digest,
    code_request,
    judge,
    new_code,
    send_keys,
)
from ingest_chat.domain.webchat import VisitorConversation

router = APIRouter(prefix="/v1/webchat/conversations/current", tags=["web chat"])
log = get_logger(__name__)


class CodeSent(BaseModel):
    sent_to: str
    expires_in_seconds: int


class CodeEntered(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


def _codes(request: Request) -> VerificationCodes:
    codes: VerificationCodes = request.app.state.verification_codes
    return codes


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.visitor_token_secret.get_secret_value()
    return secret


Kind = Literal["email", "phone"]
"""What the visitor proves: the email (a code by mail) or the phone (a code by SMS)."""


def _claimed(conversation: VisitorConversation, kind: Kind) -> str:
    """The address to prove; 409 when there is none or it is proven already."""
    address, proven = (
        (conversation.email, conversation.email_verified)
        if kind == "email"
        else (conversation.phone, conversation.phone_verified)
    )
    if not address:
        raise HTTPException(409, f"The conversation has no {kind} to verify.")
    if proven:
        raise HTTPException(409, f"The conversation's {kind} is verified already.")
    return address


@router.post("/{kind}-verification", status_code=202)
async def send_code(
    kind: Kind, conversation: ConversationDep, producer: ProducerDep, request: Request
) -> CodeSent:
    """Send a one-time code to the conversation's email (by mail) or phone (by SMS):
    three an hour per conversation, five an hour per address."""
    address = _claimed(conversation, kind)
    now = utc_now()
    codes = _codes(request)
    for key, limit in send_keys(conversation.tenant_id, conversation.conversation_id, address):
        if not await codes.allow_send(key, limit, now):
            retry = str(int(SEND_WINDOW.total_seconds()))
            raise HTTPException(
                429, "Too many codes asked for this hour.", headers={"Retry-After": retry}
            )
    code = new_code()
    digest = code_digest(_secret(request), conversation.conversation_id, address, code)
    await codes.start(_challenge_id(conversation, kind), address, digest, now + CODE_TTL)
    event = code_request(
        conversation.tenant_id, conversation.conversation_id, kind, address, code, now=now
    )
    await producer.publish(OUTBOUND.name, event)
    log.info("webchat.code_sent", conversation_id=conversation.conversation_id, kind=kind)
    return CodeSent(sent_to=address, expires_in_seconds=int(CODE_TTL.total_seconds()))


@router.post("/{kind}-verification/confirm")
async def confirm_code(
    kind: Kind,
    body: CodeEntered,
    conversation: ConversationDep,
    tokens: TokensDep,
    request: Request,
) -> ConversationRead:
    """Enter the code: a new conversation token whose email (or phone) is verified, so
    the conversation joins the customer who owns it."""
    address = _claimed(conversation, kind)
    codes = _codes(request)
    challenge = await codes.guess(_challenge_id(conversation, kind))
    digest = code_digest(_secret(request), conversation.conversation_id, address, body.code)
    outcome = judge(challenge, digest, address, utc_now())
    if outcome is Outcome.NONE:
        raise HTTPException(404, "No code is pending: ask for one first.")
    if outcome is Outcome.LOCKED:
        raise HTTPException(429, "Too many wrong codes: ask for a new one.")
    if outcome is Outcome.EXPIRED:
        raise HTTPException(410, "The code expired: ask for a new one.")
    if outcome is Outcome.WRONG:
        left = MAX_ATTEMPTS - (challenge.attempts if challenge else MAX_ATTEMPTS)
        raise HTTPException(422, f"The code is wrong ({left} tries left).")
    await codes.spend(_challenge_id(conversation, kind))
    verified = conversation.with_verified(kind)
    if kind == "email":  # only a verified address gets the agents' unseen messages by email
        messages: AgentMessages = request.app.state.agent_messages
        await messages.remember_visitor(
            verified.tenant_id, verified.conversation_id, email=verified.email, name=verified.name
        )
    log.info("webchat.verified", conversation_id=conversation.conversation_id, kind=kind)
    return ConversationRead(
        conversation_id=verified.conversation_id,
        visitor_id=verified.visitor_id,
        token=tokens.issue(verified),
    )


def _challenge_id(conversation: VisitorConversation, kind: Kind) -> str:
    return f"{conversation.conversation_id}|{kind}"
