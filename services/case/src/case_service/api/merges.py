"""Customer merge routes: merge, undo, list; proposals a supervisor accepts or dismisses."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from case_service.service.merge_desk import MergeDesk
from cc_common.auth import Principal


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


def _merge(doc: dict[str, Any]) -> MergeRead:
    return MergeRead(id=doc["_id"], **{k: v for k, v in doc.items() if k != "_id"})


def _desk(request: Request) -> MergeDesk:
    desk: MergeDesk = request.app.state.merge_desk
    return desk


MergeDeskDep = Annotated[MergeDesk, Depends(_desk)]


def build_router(agents: Any, supervisors: Any) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["customers"])
    Agent = Annotated[Principal, Depends(agents)]
    Supervisor = Annotated[Principal, Depends(supervisors)]

    @router.post("/customers/{customer_id}/merges", status_code=201)
    async def merge_into(
        customer_id: str, body: MergeCreate, principal: Agent, desk: MergeDeskDep
    ) -> MergeRead:
        """Merge another customer into this one: identities, cases and timeline move here."""
        record = await desk.merge(
            principal, source=body.source_customer_id, target=customer_id, reason=body.reason
        )
        return _merge(record)

    @router.get("/customers/{customer_id}/merges")
    async def merges_of(customer_id: str, principal: Agent, desk: MergeDeskDep) -> list[MergeRead]:
        """Merges the customer took part in, newest first, with their reasons."""
        return [_merge(d) for d in await desk.history(principal.tenant_id, customer_id)]

    @router.post("/merges/{merge_id}/undo")
    async def undo(merge_id: str, principal: Supervisor, desk: MergeDeskDep) -> MergeRead:
        """Unmerge: both customers get back their identities, cases and timelines."""
        return _merge(await desk.undo(principal, merge_id))

    @router.get("/merge-proposals")
    async def proposals(
        principal: Supervisor,
        desk: MergeDeskDep,
        status: Annotated[str, Query(pattern="^(open|merged|dismissed)$")] = "open",
    ) -> list[ProposalRead]:
        """Pairs of customers a contact suggested are one person, for a supervisor to decide."""
        docs = await desk.proposals(principal.tenant_id, status)
        return [
            ProposalRead(id=d["_id"], **{k: v for k, v in d.items() if k != "_id"}) for d in docs
        ]

    @router.post("/merge-proposals/{proposal_id}/accept", status_code=201)
    async def accept(proposal_id: str, principal: Supervisor, desk: MergeDeskDep) -> MergeRead:
        """Merge: the second customer joins the first (the one the contact was stored on)."""
        return _merge(await desk.accept(principal, proposal_id))

    @router.post("/merge-proposals/{proposal_id}/dismiss", status_code=204)
    async def dismiss(proposal_id: str, principal: Supervisor, desk: MergeDeskDep) -> None:
        """They are different people: the proposal is closed."""
        await desk.dismiss(principal, proposal_id)

    return router
