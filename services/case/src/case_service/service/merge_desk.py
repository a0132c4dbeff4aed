"""Customer merges an agent or supervisor asks for: merge, history, undo, proposals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from case_service.domain.errors import NotFound, Refused
from case_service.ports import CustomerMergeStore
from case_service.service.customer_desk import CustomerDesk
from cc_common.events import utc_now
from cc_common.principals import Principal

Record = dict[str, Any]


class MergeDesk:
    def __init__(
        self,
        *,
        merges: CustomerMergeStore,
        customers: CustomerDesk,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._merges = merges
        self._customers = customers
        self._clock = clock

    async def merge(self, actor: Principal, *, source: str, target: str, reason: str) -> Record:
        """``source`` joins ``target``: identities, cases and timeline move (undoable)."""
        return await self._merges.merge(
            actor.tenant_id,
            source=source,
            target=target,
            reason=reason,
            actor=actor.subject,
            at=self._clock(),
        )

    async def history(self, tenant_id: str, customer_id: str) -> list[Record]:
        """Merges the customer took part in, newest first."""
        await self._customers.require(tenant_id, customer_id)
        return await self._merges.of_customer(tenant_id, customer_id)

    async def undo(self, supervisor: Principal, merge_id: str) -> Record:
        return await self._merges.unmerge(
            supervisor.tenant_id, merge_id, actor=supervisor.subject, at=self._clock()
        )

    async def proposals(self, tenant_id: str, status: str) -> list[Record]:
        return await self._merges.proposals(tenant_id, status)

    async def accept(self, supervisor: Principal, proposal_id: str) -> Record:
        """The second customer joins the first (the one the contact was stored on),
        or whichever customers they were merged into since the proposal was made."""
        proposal = await self._merges.proposal(supervisor.tenant_id, proposal_id)
        if proposal is None:
            raise NotFound("No such proposal.")
        if proposal["status"] != "open":
            raise Refused(f"The proposal is {proposal['status']}.")
        first, second = proposal["customer_ids"]
        target = await self._merges.current(supervisor.tenant_id, first)
        source = await self._merges.current(supervisor.tenant_id, second)
        return await self.merge(
            supervisor,
            source=source,
            target=target,
            reason=f"accepted proposal: {proposal['reason']}",
        )

    async def dismiss(self, supervisor: Principal, proposal_id: str) -> None:
        """They are different people: the proposal is closed."""
        if not await self._merges.dismiss(
            supervisor.tenant_id, proposal_id, actor=supervisor.subject
        ):
            raise NotFound("No such open proposal.")
