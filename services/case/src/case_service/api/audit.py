"""Audit of the case API: a middleware records every authenticated request; supervisors
and admins read the tenant's records."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from case_service.ports import AuditTrail
from cc_common.auth import Principal
from cc_common.events import utc_now
from cc_common.tracing import current_trace_id

_CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuditMiddleware:
    """Records who called which route on which resources, and the answer's status.

    Bodies are not recorded (they hold customers' messages); what a change changed is
    on the timeline. Unauthenticated requests are refused before they touch data and
    are counted by the platform's metrics instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            principal = scope.get("state", {}).get("principal")
            audit: AuditTrail | None = getattr(scope["app"].state, "audit", None)
            if isinstance(principal, Principal) and audit is not None:
                audit.record(_record(scope, principal, status))


def _record(scope: Scope, principal: Principal, status: int) -> dict[str, Any]:
    route = scope.get("route")
    params = {k: str(v) for k, v in scope.get("path_params", {}).items()}
    return {
        "_id": str(uuid.uuid4()),
        "tenant_id": principal.tenant_id,
        "actor": principal.subject,
        "roles": sorted(principal.roles),
        "action": "change" if scope["method"] in _CHANGES else "read",
        "method": scope["method"],
        "route": getattr(route, "path", None),
        "path": scope["path"],
        "resource_ids": sorted(set(params.values())),
        "status": status,
        "at": utc_now(),
        "trace_id": current_trace_id(),
    }


class AuditRecord(BaseModel):
    id: str
    actor: str
    roles: list[str]
    action: str
    method: str
    route: str | None
    path: str
    resource_ids: list[str]
    status: int
    at: datetime
    trace_id: str | None = None


def build_router(readers: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["audit"])
    Reader = Annotated[Principal, Depends(readers)]

    @router.get("/audit")
    async def read_audit(
        request: Request,
        principal: Reader,
        actor: Annotated[str | None, Query(max_length=128)] = None,
        resource_id: Annotated[str | None, Query(max_length=128)] = None,
        before: datetime | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> list[AuditRecord]:
        """Who read or changed what in the tenant, newest first (``before`` pages back)."""
        audit: AuditTrail = request.app.state.audit
        docs = await audit.query(
            principal.tenant_id, actor=actor, resource_id=resource_id, before=before, limit=limit
        )
        return [
            AuditRecord(id=d["_id"], **{k: v for k, v in d.items() if k != "_id"}) for d in docs
        ]

    return router
