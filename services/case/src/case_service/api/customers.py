"""Customer routes: look up, read, and read the unified timeline."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Response
from pydantic import BaseModel, Field

from case_service.adapters.cases import VersionConflict
from case_service.adapters.customers import CustomerRepository
from case_service.api.cases import case_read, etag, expected_version
from case_service.api.deps import CasesDep, CustomersDep, TimelineDep
from case_service.api.paging import timeline_page
from case_service.api.schemas import CaseRead, CustomerRead, CustomerUpdate, TimelinePage
from case_service.domain.identity import identity_key, normalise_value, parse_identity_query
from cc_common.auth import Principal
from cc_common.events import Identity, IdentityKind


class IdentityLink(BaseModel):
    kind: IdentityKind
    value: str = Field(min_length=1, max_length=320)


def build_router(
    authenticate: Any, *, page_max: int, link: Any, phone_region: Callable[[str], str | None]
) -> APIRouter:
    """Customer routes; every query is scoped to the caller's tenant."""
    router = APIRouter(prefix="/v1/customers", tags=["customers"])
    PrincipalDep = Annotated[Principal, Depends(authenticate)]
    LinkerDep = Annotated[Principal, Depends(link)]

    @router.get("")
    async def find_customers(
        principal: PrincipalDep,
        customers: CustomersDep,
        identity: Annotated[str, Query(description="kind:value, e.g. email:ana@example.com")],
    ) -> list[CustomerRead]:
        """Customers owning an identity (zero or one)."""
        try:
            kind, value = parse_identity_query(identity, phone_region(principal.tenant_id))
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from exc
        customer_id = await customers.find_by_identity(
            identity_key(principal.tenant_id, kind, value), principal.tenant_id
        )
        if customer_id is None:
            return []
        found = await customers.get(principal.tenant_id, customer_id)
        return [_customer(found)] if found else []

    @router.get("/{customer_id}")
    async def get_customer(
        customer_id: str, principal: PrincipalDep, customers: CustomersDep, response: Response
    ) -> CustomerRead:
        """One customer with every identity we know; its ETag is what an edit sends."""
        found = await customers.get(principal.tenant_id, customer_id)
        if found is None:
            raise HTTPException(404, "No such customer.")
        response.headers["ETag"] = etag(found)
        return _customer(found)

    @router.patch("/{customer_id}", responses={412: {}, 428: {}})
    async def edit_customer(
        customer_id: str,
        body: CustomerUpdate,
        principal: LinkerDep,
        customers: CustomersDep,
        response: Response,
        if_match: Annotated[str | None, Header()] = None,
    ) -> CustomerRead:
        """Name, language, tier, VIP, consent flags and custom attributes."""
        version = expected_version(if_match)
        patch = body.model_dump(exclude_unset=True)
        fields = {k: v for k, v in patch.items() if k not in ("consent", "attributes")}
        for group in ("consent", "attributes"):
            for name, value in (patch.get(group) or {}).items():
                fields[f"{group}.{name}"] = value
        if not fields:
            raise HTTPException(422, "Nothing to change.")
        try:
            updated = await customers.update_profile(
                principal.tenant_id, customer_id, expected_version=version, fields=fields
            )
        except VersionConflict as exc:
            raise HTTPException(
                412, "The customer changed since you read it: read it again, then edit."
            ) from exc
        if updated is None:
            raise HTTPException(404, "No such customer.")
        response.headers["ETag"] = etag(updated)
        return _customer(updated)

    @router.post("/{customer_id}/identities", status_code=201)
    async def link_identity(
        customer_id: str, body: IdentityLink, principal: LinkerDep, customers: CustomersDep
    ) -> CustomerRead:
        """Link an identity to the customer (the visitor is the LINE user an agent knows)."""
        found = await customers.get(principal.tenant_id, customer_id)
        if found is None:
            raise HTTPException(404, "No such customer.")
        identity = Identity(kind=body.kind, value=body.value)
        key = identity_key(
            principal.tenant_id,
            identity.kind,
            normalise_value(identity, phone_region(principal.tenant_id)),
        )
        owner = await customers.link(principal.tenant_id, customer_id, key)
        if owner != customer_id:
            raise HTTPException(
                409,
                f"That identity belongs to customer {owner}: merge the two customers"
                f" (POST /v1/customers/{customer_id}/merges) if they are one person.",
            )
        linked = await customers.get(principal.tenant_id, customer_id)
        assert linked is not None
        return _customer(linked)

    @router.get("/{customer_id}/cases")
    async def list_cases(
        customer_id: str, principal: PrincipalDep, cases: CasesDep, customers: CustomersDep
    ) -> list[CaseRead]:
        """The customer's cases, newest first."""
        await known(customers, principal, customer_id)
        docs = await cases.list_for_customer(principal.tenant_id, customer_id)
        return [case_read(d) for d in docs]

    @router.get("/{customer_id}/timeline")
    async def read_timeline(
        customer_id: str,
        principal: PrincipalDep,
        timeline: TimelineDep,
        customers: CustomersDep,
        limit: Annotated[int, Query(ge=1, le=page_max)] = 50,
        cursor: str | None = None,
        channel: str | None = None,
        case_id: str | None = None,
        kind: str | None = Query(
            default=None, max_length=64, description="e.g. message, call, note, or case. (prefix)"
        ),
    ) -> TimelinePage:
        """Every channel's entries of one customer, newest first, with a cursor."""
        await known(customers, principal, customer_id)
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


async def known(customers: CustomerRepository, principal: Principal, customer_id: str) -> None:
    """404 unless the customer is one of the caller's tenant."""
    if not await customers.exists(principal.tenant_id, customer_id):
        raise HTTPException(404, "No such customer.")


def _customer(doc: dict[str, Any]) -> CustomerRead:
    return CustomerRead(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})
