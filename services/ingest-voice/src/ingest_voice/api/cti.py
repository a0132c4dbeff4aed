"""Generic CTI events: ``POST /v1/cti/events`` from a PBX adapter."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel

from cc_common.auth import Principal
from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from ingest_voice.domain.cti import CtiEvent, InvalidCallerNumber, call_event


class CallEventAccepted(BaseModel):
    event_id: uuid.UUID
    conversation_key: str


def build_router(authenticate: Any, *, default_region: str) -> APIRouter:
    """CTI routes, authenticated per tenant with an integration token."""
    router = APIRouter(prefix="/v1/cti", tags=["cti"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]

    @router.post("/events", status_code=202)
    async def post_event(
        body: CtiEvent, request: Request, principal: PrincipalDep
    ) -> CallEventAccepted:
        """Accept one call event once the broker has it."""
        if body.occurred_at.tzinfo is None:
            raise HTTPException(422, "occurred_at must carry a timezone.")
        try:
            event = call_event(principal.tenant_id, body, default_region=default_region)
        except InvalidCallerNumber as exc:
            raise HTTPException(422, str(exc)) from exc
        producer: EventProducer = request.app.state.runtime.producer
        await producer.publish(INTERACTIONS.name, event)
        return CallEventAccepted(event_id=event.id, conversation_key=event.data.conversation_key)

    return router
