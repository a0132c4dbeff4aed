"""Polling helpers for end-to-end tests: the system is eventually consistent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 30.0, what: str = "condition"
) -> T:
    """Call ``probe`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


async def find_customer(
    client: httpx.AsyncClient, case_url: str, token: str, identity: str
) -> dict[str, Any] | None:
    response = await client.get(
        f"{case_url}/v1/customers",
        params={"identity": identity},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    found: list[dict[str, Any]] = response.json()
    return found[0] if found else None


async def full_timeline(
    client: httpx.AsyncClient, case_url: str, token: str, customer_id: str
) -> list[dict[str, Any]]:
    """Every entry of a customer's timeline, following the cursor."""
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 37}  # small pages: the cursor is exercised
        if cursor:
            params["cursor"] = cursor
        response = await client.get(
            f"{case_url}/v1/customers/{customer_id}/timeline",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
        response.raise_for_status()
        page = response.json()
        entries.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return entries
