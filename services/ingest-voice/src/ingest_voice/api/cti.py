"""Generic CTI events and Amazon Connect events, posted with an integration token."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from cc_common.auth import Principal
from ingest_voice.api.publishing import publish_calls
from ingest_voice.domain.connect import (
    ConnectEvent,
    NotAVoiceContact,
    TraceRecord,
    contact_event,
    trace_record_events,
)
from ingest_voice.domain.cti import CtiEvent


class CallEventAccepted(BaseModel):
    event_ids: list[uuid.UUID]
    ignored: str | None = None


def build_router(authenticate: Any) -> APIRouter:
    """CTI and Amazon Connect routes, authenticated per tenant."""
    router = APIRouter(prefix="/v1", tags=["cti"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]

    async def accept(request: Request, tenant_id: str, events: list[Any]) -> CallEventAccepted:
        ids = await publish_calls(request, tenant_id, events)
        return CallEventAccepted(event_ids=[uuid.UUID(i) for i in ids])

    @router.post("/cti/events", status_code=202)
    async def post_cti_event(
        body: CtiEvent, request: Request, principal: PrincipalDep
    ) -> CallEventAccepted:
        """One call event from a PBX adapter, accepted once the broker has it."""
        return await accept(request, principal.tenant_id, [body.to_call_event()])

    @router.post("/connect/events", status_code=202)
    async def post_connect_event(
        body: ConnectEvent, request: Request, principal: PrincipalDep
    ) -> CallEventAccepted:
        """An Amazon Connect contact event delivered by EventBridge."""
        try:
            event = contact_event(body)
        except NotAVoiceContact as exc:
            return CallEventAccepted(event_ids=[], ignored=f"not a voice call event: {exc}")
        return await accept(request, principal.tenant_id, [event])

    @router.post("/connect/trace-records", status_code=202)
    async def post_trace_record(
        body: TraceRecord, request: Request, principal: PrincipalDep
    ) -> CallEventAccepted:
        """An Amazon Connect contact trace record."""
        try:
            events = trace_record_events(body)
        except NotAVoiceContact as exc:
            return CallEventAccepted(event_ids=[], ignored=f"not a voice call record: {exc}")
        return await accept(request, principal.tenant_id, events)

    return router
