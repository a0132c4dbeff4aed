"""Replies: an agent answers the customer on the case's channel, exactly once."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel, Field

from case_service.api.announce import announce
from case_service.api.deps import CasesDep, TimelineDep
from case_service.domain.replies import (
    NoReplyAddress,
    TemplateRequired,
    fingerprint,
    reply_entry,
    reply_id_for,
    reply_request,
)
from cc_common.auth import Principal
from cc_common.events import Channel, Content, MessageTemplate, utc_now
from cc_common.kafka.producer import BrokerUnavailable, EventProducer
from cc_common.logging import get_logger
from cc_common.topics import OUTBOUND

log = get_logger(__name__)


class ReplyCreate(BaseModel):
    text: str = Field(min_length=1, max_length=100_000)
    template: MessageTemplate | None = Field(
        default=None, description="WhatsApp: an approved template, required after 24 hours."
    )
    html: str | None = Field(default=None, max_length=500_000)
    subject: str | None = Field(default=None, max_length=500)
    channel: Channel | None = Field(
        default=None,
        description="Answer on another channel the customer has used (their latest"
        " conversation there); default: the case's channel.",
    )


class ReplyRead(BaseModel):
    reply_id: uuid.UUID
    case_id: str
    channel: str
    status: str = Field(description="pending until the channel confirms; then sent or failed.")
    recipient: dict[str, Any]


def build_router(write: Any) -> APIRouter:
    router = APIRouter(prefix="/v1/cases", tags=["cases"])
    Writer = Annotated[Principal, Depends(write)]
    IdempotencyKey = Annotated[
        str | None,
        Header(
            max_length=128,
            description="Send the same key when retrying: the reply is sent once.",
        ),
    ]

    @router.post("/{case_id}/replies", status_code=202)
    async def reply(
        case_id: str,
        body: ReplyCreate,
        request: Request,
        principal: Writer,
        cases: CasesDep,
        timeline: TimelineDep,
        idempotency_key: IdempotencyKey = None,
    ) -> ReplyRead:
        """Answer the customer on the case's channel; pending until the channel sends it."""
        case = await cases.get(principal.tenant_id, case_id)
        if case is None:
            raise HTTPException(404, "No such case.")
        route = case
        if body.channel is not None and body.channel.value != case["channel"]:
            elsewhere = await cases.latest_reachable(
                principal.tenant_id, case["customer_id"], body.channel.value
            )
            if elsewhere is None:
                raise HTTPException(
                    409, f"The customer has not written to us on {body.channel.value}."
                )
            # Their conversation there carries the reply; the entry stays on this case.
            route = {**elsewhere, "_id": case["_id"]}
        content = Content(subject=body.subject, text=body.text, html=body.html)
        reply_id = reply_id_for(principal.tenant_id, principal.subject, idempotency_key)
        try:
            event = reply_request(
                route,
                tenant_id=principal.tenant_id,
                agent_id=principal.subject,
                reply_id=reply_id,
                content=content,
                at=utc_now(),
                template=body.template,
            )
        except NoReplyAddress as exc:
            raise HTTPException(409, str(exc)) from exc
        except TemplateRequired as exc:
            raise HTTPException(422, str(exc)) from exc
        content_hash = fingerprint(content)
        stored = await timeline.create_reply(
            reply_entry(event, customer_id=case["customer_id"], content_hash=content_hash)
        )
        if stored["reply"]["content_hash"] != content_hash:
            raise HTTPException(409, "This Idempotency-Key was used for a different reply.")
        if stored.get("outbox_pending"):
            await _announce(request, event, timeline)
            await cases.note_agent_reply(case, stored["occurred_at"])
            await announce(request, case, stored, principal.subject)
        return ReplyRead(
            reply_id=reply_id,
            case_id=case_id,
            channel=stored["channel"],
            status=stored["reply"]["status"],
            recipient=stored["reply"]["recipient"],
        )

    return router


async def _announce(request: Request, event: Any, timeline: Any) -> None:
    """Publish now; when the broker is down the outbox relay publishes it later."""
    producer: EventProducer = request.app.state.runtime.producer
    try:
        await producer.publish(OUTBOUND.name, event)
    except BrokerUnavailable:
        log.warning("reply.announce_deferred", reply_id=str(event.id))
        return
    await timeline.outbox_sent(str(event.id))
