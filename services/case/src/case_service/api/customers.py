"""Customer routes: look up, read, edit, link identities, and read the unified timeline."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, Field

from case_service.api.cases import case_read, etag, expected_version
from case_service.api.deps import CustomerDeskDep, TimelineReadsDep
from case_service.api.paging import timeline_page
from case_service.api.schemas import CaseRead, CustomerRead, CustomerUpdate, TimelinePage
from case_service.domain.model import Customer
from cc_common.auth import Principal
from cc_common.events import IdentityKind


class IdentityLink(BaseModel):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


def customer_read(customer: Customer) -> CustomerRead:
    return CustomerRead.model_validate(customer.model_dump())


def build_router(authenticate: Any, *, page_max: int, link: Any) -> APIRouter:
    """Customer routes; every query is scoped to the caller's tenant."""
    router = APIRouter(prefix="/v1/customers", tags=["customers"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]
    LinkerDep = Annotated[Principal, Depends(link)]

    @router.get("")
    async def find_customers(
        principal: PrincipalDep,
        desk: CustomerDeskDep,
        identity: Annotated[str, Query(description="kind:value, e.g. email:ana@example.com")],
    ) -> list[CustomerRead]:
        """Customers owning an identity (zero or one)."""
        return [customer_read(c) for c in await desk.find(principal.tenant_id, identity)]

    @router.get("/{customer_id}")
    async def get_customer(
        customer_id: str, principal: PrincipalDep, desk: CustomerDeskDep, response: Response
    ) -> CustomerRead:
        """One customer with every identity we know; its ETag is what an edit sends."""
        found = await desk.customer(principal.tenant_id, customer_id)
        response.headers["ETag"] = etag(found.version)
        return customer_read(found)

    @router.patch("/{customer_id}", responses={412: {}, 428: {}})
    async def edit_customer(
        customer_id: str,
        body: CustomerUpdate,
        principal: LinkerDep,
        desk: CustomerDeskDep,
        response: Response,
        if_match: Annotated[str | None, Header()] = None,
    ) -> CustomerRead:
        """Name, language, tier, VIP, consent flags and custom attributes."""
        version = expected_version(if_match)
        updated = await desk.edit(
            principal, customer_id, body.model_dump(exclude_unset=True), expected_version=version
        )
        response.headers["ETag"] = etag(updated.version)
        return customer_read(updated)

    @router.post("/{customer_id}/identities", status_code=201)
    async def link_identity(
        customer_id: str, body: IdentityLink, principal: LinkerDep, desk: CustomerDeskDep
    ) -> CustomerRead:
        """Link an identity to the customer (the visitor is the LINE user an agent knows)."""
        linked = await desk.link_identity(principal, customer_id, body.kind, body.value)
        return customer_read(linked)

    @router.get("/{customer_id}/cases")
    async def list_cases(
        customer_id: str, principal: PrincipalDep, desk: CustomerDeskDep
    ) -> list[CaseRead]:
        """The customer's cases, newest first."""
        return [case_read(c) for c in await desk.cases(principal.tenant_id, customer_id)]

    @router.get("/{customer_id}/timeline")
    async def read_timeline(
        customer_id: str,
        principal: PrincipalDep,
        timeline: TimelineReadsDep,
        desk: CustomerDeskDep,
        limit: Annotated[int, Query(ge=1, le=page_max)] = 50,
        cursor: str | None = None,
        channel: str | None = None,
        case_id: str | None = None,
        kind: str | None = Query(
            default=None, max_length=64, description="e.g. message, call, note, or case. (prefix)"
        ),
    ) -> TimelinePage:
        """Every channel's entries of one customer, newest first, with a cursor."""
        await desk.require(principal.tenant_id, customer_id)
        return await timeline_page(
            timeline,
            tenant_id=principal.tenant_id,
            limit=limit,
            cursor=cursor,
            customer_id=customer_id,
            case_id=case_id,
            channel=channel,
            kind=kind,
        )

    return router
