"""Raw MIME upload: ``POST /v1/messages`` with a ``message/rfc822`` body."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from cc_common.auth import Principal
from ingest_email.domain.mime import MessageTooComplex, UnreadableMessage
from ingest_email.intake import EmailIntake, Outcome

MIME_TYPE = "message/rfc822"


class MessageAccepted(BaseModel):
    outcome: Outcome
    event_id: uuid.UUID | None
    message_id: str
    conversation_key: str | None
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
        """Accept one raw email for the caller's tenant once the broker has it."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != MIME_TYPE:
            raise HTTPException(415, f"Send the raw message as {MIME_TYPE}.")
        raw = await request.body()
        if not raw.strip():
            raise HTTPException(400, "The message is empty.")
        intake: EmailIntake = request.app.state.intake
        try:
            (accepted,) = await intake.accept(raw, provider="upload", tenant_id=principal.tenant_id)
        except MessageTooComplex as exc:
            raise HTTPException(413, str(exc)) from exc
        except UnreadableMessage as exc:
            raise HTTPException(422, str(exc)) from exc
        event = accepted.event
        return MessageAccepted(
            outcome=accepted.outcome,
            event_id=event.id if event else None,
            message_id=accepted.message_id,
            conversation_key=accepted.conversation_key,
            parse_defects=list(event.data.parse_defects) if event else [],
        )

    return router
