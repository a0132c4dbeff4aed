"""Which tenant a recipient belongs to, and whose addresses are ours or our staff's (pure)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class MailSetup(Protocol):
    """What the rules need of a tenant's mail setup (the settings' ``EmailTenant``)."""

    @property
    def addresses(self) -> Sequence[str]: ...
    @property
    def domains(self) -> Sequence[str]: ...
    @property
    def from_address(self) -> str | None: ...
    @property
    def staff_addresses(self) -> Sequence[str]: ...
    @property
    def staff_domains(self) -> Sequence[str]: ...


Setup = TypeVar("Setup", bound=MailSetup)


@dataclass(frozen=True, slots=True)
class TenantMail(Generic[Setup]):
    tenant_id: str
    config: Setup

    @property
    def own_addresses(self) -> frozenset[str]:
        own = {a.lower() for a in self.config.addresses}
        if self.config.from_address:
            own.add(self.config.from_address.lower())
        return frozenset(own)

    @property
    def reply_from(self) -> str | None:
        """The address replies are sent from (None: the tenant cannot send mail)."""
        address = self.config.from_address or next(iter(self.config.addresses), None)
        return address.lower() if address else None

    def is_own(self, address: str) -> bool:
        return address.lower() in self.own_addresses

    def is_staff(self, address: str) -> bool:
        address = address.lower()
        if address in {a.lower() for a in self.config.staff_addresses}:
            return True
        domain = address.rpartition("@")[2]
        return domain in {d.lower() for d in self.config.staff_domains} and not self.is_own(address)


class TenantDirectory(Generic[Setup]):
    """Maps recipient addresses to tenants: exact addresses first, then catch-all domains."""

    def __init__(self, tenants: Mapping[str, Setup], unconfigured: Callable[[], Setup]) -> None:
        self._unconfigured = unconfigured
        self._tenants = {tid: TenantMail(tid, cfg) for tid, cfg in tenants.items()}
        self._by_address = {a.lower(): tid for tid, cfg in tenants.items() for a in cfg.addresses}
        self._by_domain = {d.lower(): tid for tid, cfg in tenants.items() for d in cfg.domains}

    def get(self, tenant_id: str) -> TenantMail[Setup] | None:
        return self._tenants.get(tenant_id)

    def get_or_unconfigured(self, tenant_id: str) -> TenantMail[Setup]:
        """The tenant's setup, or an empty one (uploads work before mail is set up)."""
        return self._tenants.get(tenant_id) or TenantMail(tenant_id, self._unconfigured())

    def tenant_of(self, recipient: str) -> str | None:
        """The tenant receiving mail at ``recipient``, or None if nobody does."""
        address = recipient.strip().strip("<>").lower()
        if address in self._by_address:
            return self._by_address[address]
        return self._by_domain.get(address.rpartition("@")[2])

    def tenants_of(self, recipients: Iterable[str]) -> list[str]:
        """Every tenant among ``recipients``, in first-seen order."""
        found = (self.tenant_of(r) for r in recipients)
        return list(dict.fromkeys(t for t in found if t is not None))
