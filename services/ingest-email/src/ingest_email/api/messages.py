"""Raw MIME upload: ``POST /v1/messages`` with a ``message/rfc822`` body."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from cc_common.auth import Principal
from cc_common.events import utc_now
from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_email.domain.events import inbound_email
from ingest_email.domain.mime import UnreadableMessage, parse_message

MIME_TYPE = "message/rfc822"


class MessageAccepted(BaseModel):
    event_id: uuid.UUID
    message_id: str
    conversation_key: str
    parse_defects: list[str]


def build_router(authenticate: Any) -> APIRouter:
    """Upload routes for tools and integrations, authenticated per tenant."""
    router = APIRouter(prefix="/v1", tags=["messages"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]

    @router.post(
        "/messages",
        status_code=202,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {MIME_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def upload_message(request: Request, principal: PrincipalDep) -> MessageAccepted:
        """Accept one raw email once the broker has it."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != MIME_TYPE:
            raise HTTPException(415, f"Send the raw message as {MIME_TYPE}.")
        raw = await request.body()
        if not raw.strip():
            raise HTTPException(400, "The message is empty.")
        try:
            parsed = parse_message(raw)
        except UnreadableMessage as exc:
            raise HTTPException(422, str(exc)) from exc
        event = inbound_email(principal.tenant_id, parsed, provider="upload", received_at=utc_now())
        producer: EventProducer = request.app.state.runtime.producer
        await producer.publish(INTERACTIONS.name, event)
        return MessageAccepted(
            event_id=event.id,
            message_id=parsed.message_id,
            conversation_key=event.data.conversation_key,
            parse_defects=list(parsed.defects),
        )

    return router
