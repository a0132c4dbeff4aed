"""Unread counts: an agent marks a case read; the desk asks how many of the
customer's messages came after, for the cases in the agent's hands."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from case_service.api.deps import DeskDep
from case_service.ports import UNREAD_MOST, ReadMarks
from cc_common.auth import Principal
from cc_common.events import utc_now

MOST_CASES = 50


class UnreadCounts(BaseModel):
    cases: dict[str, int] = Field(
        description=f"case id -> the customer's messages since the caller last read it"
        f" (all, if never), counted up to {UNREAD_MOST}; another tenant's case counts 0."
    )
    last_activity_at: dict[str, datetime] = Field(
        default_factory=dict,
        description="case id -> when anything last happened on it (work in hand is shown"
        " newest activity first); another tenant's cases are left out.",
    )


def _markers(request: Request) -> ReadMarks:
    markers: ReadMarks = request.app.state.read_markers
    return markers


def build_router(read: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["cases"])
    Reader = Annotated[Principal, Depends(read)]
    Markers = Annotated[ReadMarks, Depends(_markers)]

    @router.put("/cases/{case_id}/read", status_code=204)
    async def mark_read(
        case_id: str, principal: Reader, desk: DeskDep, markers: Markers
    ) -> Response:
        """The caller has read the case up to now (their own marker; colleagues keep theirs)."""
        await desk.case(principal.tenant_id, case_id)  # 404 outside the tenant
        await markers.mark(principal.tenant_id, principal.subject, case_id, utc_now())
        return Response(status_code=204)

    @router.get("/unread")
    async def unread(
        principal: Reader,
        markers: Markers,
        case_id: Annotated[list[str], Query(min_length=1, max_length=MOST_CASES)],
    ) -> UnreadCounts:
        """Unread counts of up to fifty cases (the ones in the agent's hands)."""
        wanted = list(dict.fromkeys(case_id))
        counts = await markers.unread(principal.tenant_id, principal.subject, wanted)
        latest = await markers.last_activity(principal.tenant_id, wanted)
        return UnreadCounts(cases=counts, last_activity_at=latest)

    return router
