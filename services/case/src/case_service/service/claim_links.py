"""Typed identities become link proposals, never joins.

A web-chat visitor who types someone else's email must not land on that person's
timeline, rename them or read their replies. The contact's customer is found by the
identities the channel proved; each typed one is remembered beside that customer, and
when another customer owns it (or later comes to own it) an agent is asked, with the
evidence, whether the two are one person.
"""

from __future__ import annotations

from case_service.domain.merging import Resolution, explain_claim, proposal_id
from case_service.ports import CustomerMerges, IdentityClaims
from cc_common.events import Envelope, Interaction


class ClaimLinks:
    def __init__(self, *, claims: IdentityClaims, merges: CustomerMerges) -> None:
        self._claims = claims
        self._merges = merges

    async def settle(
        self,
        event: Envelope[Interaction],
        resolution: Resolution,
        keys: list[str],
        claimed: list[str],
    ) -> None:
        """Propose the links the contact's typed identities (``claimed``) and its
        customer's newly owned ones (among ``keys``) raise; remember the typed ones."""
        customer_id = resolution.customer_id
        taken = {key for conflict in resolution.conflicts for key in conflict.keys}
        new_keys = [k for k in keys if k not in resolution.own_keys and k not in taken]
        if not claimed and not new_keys:
            return
        claimants = await self._claims.claimants([*new_keys, *claimed])
        owners = await self._claims.owners(claimed)
        channel = event.data.channel.value
        links: dict[str, str] = {}
        for key in claimed:
            owner = owners.get(key)
            if owner is not None and owner != customer_id:
                links.setdefault(owner, explain_claim(key, channel, typed_here=True))
        for key in new_keys:
            for other in sorted(claimants.get(key, set()) - {customer_id}):
                links.setdefault(other, explain_claim(key, channel, typed_here=False))
        for other, reason in links.items():
            await self._merges.propose(
                event.tenant_id,
                proposal_id=proposal_id(event.tenant_id, customer_id, other),
                customer_ids=[customer_id, other],
                reason=reason,
                at=event.occurred_at,
            )
        unrecorded = [k for k in claimed if customer_id not in claimants.get(k, set())]
        await self._claims.record(
            event.tenant_id, customer_id, unrecorded, at=event.occurred_at, event_id=str(event.id)
        )
