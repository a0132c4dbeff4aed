"""Who is calling: a token's subject, tenant and roles (pure; ``auth`` issues and
verifies the tokens that carry them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    INTEGRATION = "integration"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, for which tenant, with which roles."""

    subject: str
    tenant_id: str
    roles: frozenset[Role]
    expires_at: float | None = None
    """When the token that carries it expires (Unix seconds): long-lived connections
    end then."""

    def has_any(self, roles: Iterable[Role]) -> bool:
        """True when the principal holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)
