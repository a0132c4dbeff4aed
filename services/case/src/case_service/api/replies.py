"""Replies: an agent answers the customer on the case's channel, exactly once."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from pydantic import BaseModel, ConfigDict, Field

from case_service.api.deps import DeskDep
from cc_common.auth import Principal
from cc_common.events import Channel, Content, MessageTemplate


class ReplyCreate(BaseModel):
    text: str = Field(min_length=1, max_length=100_000)
    template: MessageTemplate | None = Field(
        default=None, description="WhatsApp: an approved template, required after 24 hours."
    )
    html: str | None = Field(default=None, max_length=500_000)
    subject: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="No control characters: it becomes a mail header.",
    )
    channel: Channel | None = Field(
        default=None,
        description="Answer on another channel the customer has used (their latest"
        " conversation there); default: the case's channel.",
    )
    takeover: bool = Field(
        default=False,
        description="Send although a colleague is drafting a reply on this case (409"
        " `draft-held` otherwise); their desk is told.",
    )


class ReplyTemplateRead(BaseModel):
    channel: Channel = Channel.WHATSAPP
    name: str
    language: str
    parameters: int = Field(description="How many parameters ({{1}}, {{2}}, ...) it takes.")
    text: str = Field(description="The approved wording, parameters unfilled.")


class ReplyRead(BaseModel):
    reply_id: uuid.UUID
    case_id: str
    channel: str
    status: str = Field(description="pending until the channel confirms; then sent or failed.")
    recipient: dict[str, Any]


def build_router(write: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])
    Writer = Annotated[Principal, Depends(write)]
    IdempotencyKey = Annotated[
        str | None,
        Header(
            max_length=128,
            description="Send the same key when retrying: the reply is sent once.",
        ),
    ]

    @router.post("/cases/{case_id}/replies", status_code=202)
    async def reply(
        case_id: str,
        body: ReplyCreate,
        principal: Writer,
        desk: DeskDep,
        idempotency_key: IdempotencyKey = None,
    ) -> ReplyRead:
        """Answer the customer on the case's channel; pending until the channel sends it."""
        outcome = await desk.reply(
            principal,
            case_id,
            Content(subject=body.subject, text=body.text, html=body.html),
            channel=body.channel,
            template=body.template,
            idempotency_key=idempotency_key,
            takeover=body.takeover,
        )
        reply = outcome.entry["reply"]
        return ReplyRead(
            reply_id=reply["reply_id"],
            case_id=case_id,
            channel=outcome.entry["channel"],
            status=reply["status"],
            recipient=reply["recipient"],
        )

    @router.get("/reply-templates", response_model=list[ReplyTemplateRead])
    async def reply_templates(principal: Writer, desk: DeskDep) -> list[ReplyTemplateRead]:
        """The tenant's approved templates: outside WhatsApp's 24-hour window a reply
        must be one of them (``template`` on the reply)."""
        return [
            ReplyTemplateRead(
                name=known.name,
                language=known.language,
                parameters=known.parameters,
                text=known.text,
            )
            for known in desk.templates_for(principal.tenant_id)
        ]

    return router


class AwaitingApproval(BaseModel):
    reply_id: str
    case_id: str
    customer_id: str | None = None
    agent_id: str
    channel: str
    text: str | None = None
    requested_at: datetime


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000, description="Told to the agent.")


class Decided(BaseModel):
    reply_id: str
    case_id: str
    status: str = Field(description="pending (approved: now being sent) or failed (rejected).")
    approval: dict[str, Any]


def _decided(entry: dict[str, Any]) -> Decided:
    return Decided(
        reply_id=entry["_id"],
        case_id=entry["case_id"],
        status=entry["reply"]["status"],
        approval=entry["reply"]["approval"],
    )


def build_approvals(supervise: Any) -> APIRouter:
    """Replies held for a supervisor's approval (承認; `approval_agents` and
    `approval_queues` in the tenant's rules)."""
    router = APIRouter(prefix="/v1", tags=["approvals"])
    Supervisor = Annotated[Principal, Depends(supervise)]

    @router.get("/approvals")
    async def awaiting(principal: Supervisor, desk: DeskDep) -> list[AwaitingApproval]:
        """Replies waiting for approval, oldest first."""
        return [
            AwaitingApproval(
                reply_id=entry["_id"],
                case_id=entry["case_id"],
                customer_id=entry.get("customer_id"),
                agent_id=entry["reply"]["agent_id"],
                channel=entry["channel"],
                text=entry["reply"]["content"].get("text"),
                requested_at=entry["occurred_at"],
            )
            for entry in await desk.awaiting_approval(principal.tenant_id)
        ]

    @router.post("/replies/{reply_id}/approve")
    async def approve(reply_id: str, principal: Supervisor, desk: DeskDep) -> Decided:
        """The reply goes to its channel now; the approval is kept on it and its case."""
        return _decided(await desk.decide_reply(principal, reply_id, approve=True))

    @router.post("/replies/{reply_id}/reject")
    async def reject(
        reply_id: str, body: Rejection, principal: Supervisor, desk: DeskDep
    ) -> Decided:
        """The reply is not sent: it fails with the reason, for the agent to see."""
        decided = await desk.decide_reply(principal, reply_id, approve=False, reason=body.reason)
        return _decided(decided)

    return router
