"""A web-chat visitor proves the email they typed: a code is mailed to it, and the
visitor enters it to get a conversation token whose email is verified. Until then the
email is a claim: it finds no customer and gets no email from us."""

from __future__ import annotations

from typing import Annotated

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


@router.post("/email-verification", status_code=202)
async def send_code(
    conversation: ConversationDep, producer: ProducerDep, request: Request
) -> CodeSent:
    """Mail a one-time code to the conversation's email (three an hour per conversation,
    five an hour per address)."""
    if not conversation.email:
        raise HTTPException(409, "The conversation has no email to verify.")
    if conversation.email_verified:
        raise HTTPException(409, "The conversation's email is verified already.")
    now = utc_now()
    codes = _codes(request)
    for key, limit in send_keys(
        conversation.tenant_id, conversation.conversation_id, conversation.email
    ):
        if not await codes.allow_send(key, limit, now):
            retry = str(int(SEND_WINDOW.total_seconds()))
            raise HTTPException(
                429, "Too many codes asked for this hour.", headers={"Retry-After": retry}
            )
    code = new_code()
    digest = code_digest(_secret(request), conversation.conversation_id, conversation.email, code)
    await codes.start(conversation.conversation_id, conversation.email, digest, now + CODE_TTL)
    event = code_request(
        conversation.tenant_id, conversation.conversation_id, conversation.email, code, now=now
    )
    await producer.publish(OUTBOUND.name, event)
    log.info("webchat.code_sent", conversation_id=conversation.conversation_id)
    return CodeSent(sent_to=conversation.email, expires_in_seconds=int(CODE_TTL.total_seconds()))


@router.post("/email-verification/confirm")
async def confirm_code(
    body: CodeEntered, conversation: ConversationDep, tokens: TokensDep, request: Request
) -> ConversationRead:
    """Enter the code: a new conversation token whose email is verified, so the
    conversation joins the customer who owns that email."""
    if not conversation.email:
        raise HTTPException(409, "The conversation has no email to verify.")
    codes = _codes(request)
    challenge = await codes.guess(conversation.conversation_id)
    digest = code_digest(
        _secret(request), conversation.conversation_id, conversation.email, body.code
    )
    outcome = judge(challenge, digest, conversation.email, utc_now())
    if outcome is Outcome.NONE:
        raise HTTPException(404, "No code is pending: ask for one first.")
    if outcome is Outcome.LOCKED:
        raise HTTPException(429, "Too many wrong codes: ask for a new one.")
    if outcome is Outcome.EXPIRED:
        raise HTTPException(410, "The code expired: ask for a new one.")
    if outcome is Outcome.WRONG:
        left = MAX_ATTEMPTS - (challenge.attempts if challenge else MAX_ATTEMPTS)
        raise HTTPException(422, f"The code is wrong ({left} tries left).")
    await codes.spend(conversation.conversation_id)
    verified = conversation.with_verified_email()
    messages: AgentMessages = request.app.state.agent_messages
    # Only a verified address gets the agents' unseen messages by email.
    await messages.remember_visitor(
        verified.tenant_id, verified.conversation_id, email=verified.email, name=verified.name
    )
    log.info("webchat.email_verified", conversation_id=conversation.conversation_id)
    return ConversationRead(
        conversation_id=verified.conversation_id,
        visitor_id=verified.visitor_id,
        token=tokens.issue(verified),
    )
