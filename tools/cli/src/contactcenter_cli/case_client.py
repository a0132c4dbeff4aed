"""Reading customers and timelines through the case API (tools and tests)."""

from __future__ import annotations

from typing import Any

import httpx


async def find_customer(
    client: httpx.AsyncClient, case_url: str, token: str, identity: str
) -> dict[str, Any] | None:
    """The customer owning ``identity`` (``kind:value``), or None."""
    response = await client.get(
        f"{case_url}/v1/customers",
        params={"identity": identity},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found[0] if found else None


async def full_timeline(
    client: httpx.AsyncClient, case_url: str, token: str, customer_id: str, *, page: int = 37
) -> list[dict[str, Any]]:
    """Every entry of a customer's timeline, following the cursor (the default page is
    small and odd, so tests exercise the cursor)."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": page}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(
            f"{case_url}/v1/customers/{customer_id}/timeline",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        body = response.json()
        entries.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            return entries
