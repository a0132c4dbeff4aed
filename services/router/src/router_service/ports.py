"""What the router's API reads from the routing state its consumer keeps."""

from __future__ import annotations

from typing import Any, Protocol


class RoutingState(Protocol):
    async def queue_stats(self, tenant_id: str) -> list[dict[str, Any]]:
        """Live queue figures of a tenant."""
        ...

    async def agent_work(self, tenant_id: str, agent_id: str) -> dict[str, Any] | None:
        """An agent's presence, offers and accepted work (None: no such agent)."""
        ...

    async def agents_board(self, tenant_id: str) -> list[dict[str, Any]]:
        """Every agent's presence, time in state and work in hand."""
        ...
