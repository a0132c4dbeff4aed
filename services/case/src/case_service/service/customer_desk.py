"""What an agent does to a customer: find, read, edit the profile, link an identity."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from case_service.domain.errors import Invalid, Malformed, NotFound, Refused
from case_service.domain.identity import identity_key, normalise_value, parse_identity_query
from case_service.domain.model import Case, Customer
from case_service.ports import CaseReads, CustomerDirectory
from cc_common.events import Identity, IdentityKind
from cc_common.principals import Principal


def profile_fields(patch: dict[str, Any]) -> dict[str, Any]:
    """The customer fields a PATCH sets: ``consent`` and ``attributes`` merge by name."""
    fields = {k: v for k, v in patch.items() if k not in ("consent", "attributes")}
    for group in ("consent", "attributes"):
        for name, value in (patch.get(group) or {}).items():
            fields[f"{group}.{name}"] = value
    return fields


class CustomerDesk:
    def __init__(
        self,
        *,
        customers: CustomerDirectory,
        cases: CaseReads,
        phone_region: Callable[[str], str | None] = lambda tenant_id: None,
    ) -> None:
        self._customers = customers
        self._cases = cases
        self._phone_region = phone_region

    async def customer(self, tenant_id: str, customer_id: str) -> Customer:
        found = await self._customers.get(tenant_id, customer_id)
        if found is None:
            raise NotFound("No such customer.")
        return found

    async def require(self, tenant_id: str, customer_id: str) -> None:
        """NotFound unless the customer is one of the tenant's."""
        if not await self._customers.exists(tenant_id, customer_id):
            raise NotFound("No such customer.")

    async def find(self, tenant_id: str, identity: str) -> list[Customer]:
        """Customers owning an identity given as ``kind:value`` (zero or one)."""
        try:
            kind, value = parse_identity_query(identity, self._phone_region(tenant_id))
        except ValueError as exc:
            raise Malformed(str(exc)) from exc
        owner = await self._customers.find_by_identity(
            identity_key(tenant_id, kind, value), tenant_id
        )
        found = await self._customers.get(tenant_id, owner) if owner else None
        return [found] if found else []

    async def edit(
        self, agent: Principal, customer_id: str, patch: dict[str, Any], *, expected_version: int
    ) -> Customer:
        fields = profile_fields(patch)
        if not fields:
            raise Invalid("Nothing to change.")
        updated = await self._customers.update_profile(
            agent.tenant_id, customer_id, expected_version=expected_version, fields=fields
        )
        if updated is None:
            raise NotFound("No such customer.")
        return updated

    async def link_identity(
        self, agent: Principal, customer_id: str, kind: IdentityKind, value: str
    ) -> Customer:
        """Link an identity to the customer; one owned by another customer stays theirs
        (joining two customers is an explicit merge)."""
        await self.customer(agent.tenant_id, customer_id)
        identity = Identity(kind=kind, value=value)
        key = identity_key(
            agent.tenant_id,
            identity.kind,
            normalise_value(identity, self._phone_region(agent.tenant_id)),
        )
        owner = await self._customers.link(agent.tenant_id, customer_id, key)
        if owner != customer_id:
            raise Refused(
                f"That identity belongs to customer {owner}: merge the two customers"
                f" (POST /v1/customers/{customer_id}/merges) if they are one person."
            )
        return await self.customer(agent.tenant_id, customer_id)

    async def cases(self, tenant_id: str, customer_id: str) -> list[Case]:
        """The customer's cases, newest first."""
        await self.require(tenant_id, customer_id)
        return await self._cases.list_for_customer(tenant_id, customer_id)

    async def number_to_call(self, tenant_id: str, customer_id: str, asked: str | None) -> str:
        """The customer's number a callback dials: the one asked for, or their first."""
        customer = await self.customer(tenant_id, customer_id)
        phones = [i.value for i in customer.identities if i.kind == IdentityKind.PHONE]
        if asked is not None and asked not in phones:
            raise Invalid("That number is not one of the customer's.")
        phone = asked or (phones[0] if phones else None)
        if phone is None:
            raise Invalid("The customer has no phone number to call.")
        return phone
