"""Customer merge routes: merge, undo, list; proposals a supervisor accepts or dismisses."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from case_service.adapters.merges import MergeRefused, MergeRepository
from case_service.api.customers import known
from case_service.api.deps import CustomersDep
from cc_common.auth import Principal
from cc_common.events import utc_now


class MergeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_customer_id: str = Field(
        max_length=64, description="The customer that joins this one (it keeps its history)."
    )
    reason: str = Field(min_length=1, max_length=1000)


class MergeRead(BaseModel):
    id: str
    source: str
    target: str
    reason: str
    actor: str
    at: datetime
    state: str = Field(description="applying, active, or undone.")
    undone_at: datetime | None = None
    undone_by: str | None = None


class ProposalRead(BaseModel):
    id: str
    customer_ids: list[str]
    reason: str
    created_at: datetime
    status: str = Field(description="open, merged or dismissed.")
    contacts: int = Field(default=1, description="Contacts that raised it.")


def _merges(request: Request) -> MergeRepository:
    repo: MergeRepository = request.app.state.merges
    return repo


MergesDep = Annotated[MergeRepository, Depends(_merges)]


def _merge(doc: dict[str, Any]) -> MergeRead:
    return MergeRead(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def build_router(agents: Any, supervisors: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["customers"])
    Agent = Annotated[Principal, Depends(agents)]
    Supervisor = Annotated[Principal, Depends(supervisors)]

    async def merge(principal: Principal, merges: MergeRepository, **kwargs: Any) -> MergeRead:
        try:
            record = await merges.merge(
                principal.tenant_id, actor=principal.subject, at=utc_now(), **kwargs
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        except MergeRefused as exc:
            raise HTTPException(409, str(exc)) from exc
        return _merge(record)

    @router.post("/customers/{customer_id}/merges", status_code=201)
    async def merge_into(
        customer_id: str, body: MergeCreate, principal: Agent, merges: MergesDep
    ) -> MergeRead:
        """Merge another customer into this one: identities, cases and timeline move here."""
        return await merge(
            principal,
            merges,
            source=body.source_customer_id,
            target=customer_id,
            reason=body.reason,
        )

    @router.get("/customers/{customer_id}/merges")
    async def merges_of(
        customer_id: str, principal: Agent, merges: MergesDep, customers: CustomersDep
    ) -> list[MergeRead]:
        """Merges the customer took part in, newest first, with their reasons."""
        await known(customers, principal, customer_id)
        return [_merge(d) for d in await merges.of_customer(principal.tenant_id, customer_id)]

    @router.post("/merges/{merge_id}/undo")
    async def undo(merge_id: str, principal: Supervisor, merges: MergesDep) -> MergeRead:
        """Unmerge: both customers get back their identities, cases and timelines."""
        try:
            record = await merges.unmerge(
                principal.tenant_id, merge_id, actor=principal.subject, at=utc_now()
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        return _merge(record)

    @router.get("/merge-proposals")
    async def proposals(
        principal: Supervisor,
        merges: MergesDep,
        status: Annotated[str, Query(pattern="^(open|merged|dismissed)$")] = "open",
    ) -> list[ProposalRead]:
        """Pairs of customers a contact suggested are one person, for a supervisor to decide."""
        docs = await merges.proposals(principal.tenant_id, status)
        return [
            ProposalRead(id=d["_id"], **{k: v for k, v in d.items() if k != "_id"}) for d in docs
        ]

    @router.post("/merge-proposals/{proposal_id}/accept", status_code=201)
    async def accept(proposal_id: str, principal: Supervisor, merges: MergesDep) -> MergeRead:
        """Merge: the second customer joins the first (the one the contact was stored on)."""
        proposal = await merges.proposal(principal.tenant_id, proposal_id)
        if proposal is None:
            raise HTTPException(404, "No such proposal.")
        if proposal["status"] != "open":
            raise HTTPException(409, f"The proposal is {proposal['status']}.")
        target, source = proposal["customer_ids"]
        return await merge(
            principal,
            merges,
            source=source,
            target=target,
            reason=f"accepted proposal: {proposal['reason']}",
        )

    @router.post("/merge-proposals/{proposal_id}/dismiss", status_code=204)
    async def dismiss(proposal_id: str, principal: Supervisor, merges: MergesDep) -> None:
        """They are different people: the proposal is closed."""
        if not await merges.dismiss(principal.tenant_id, proposal_id, actor=principal.subject):
            raise HTTPException(404, "No such open proposal.")

    return router
