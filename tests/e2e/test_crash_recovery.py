"""kill -9 the case service in the middle of 1,000 events: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import Stack
from tests.e2e.conftest import token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.asyncio(loop_scope="session")]

CUSTOMERS = 10
MESSAGES_PER_CUSTOMER = 100


async def test_kill_9_of_the_case_service_loses_and_duplicates_nothing(stack: Stack) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    agent = token(stack, tenant, Role.AGENT)
    chat_url, case_url = stack.url("ingest-chat"), stack.url("case")
    accepted: dict[str, str] = {}
    limit = asyncio.Semaphore(16)

    async with httpx.AsyncClient(timeout=30) as client:
        chats = []
        for i in range(CUSTOMERS):
            response = await client.post(
                f"{chat_url}/v1/webchat/conversations",
                json={"tenant_id": tenant, "email": f"c{i}@example.com"},
            )
            chats.append(response.raise_for_status().json())

        async def send(i: int, n: int) -> None:
            async with limit:
                for attempt in range(3):
                    try:
                        response = await client.post(
                            f"{chat_url}/v1/webchat/messages",
                            json={
                                "client_message_id": f"n{n}",
                                "text": f"customer {i} message {n}",
                            },
                            headers={"Authorization": f"Bearer {chats[i]['token']}"},
                        )
                        break
                    except httpx.TransportError:
                        # A pooled keep-alive connection the server just closed; the
                        # client message id makes resending safe (same event).
                        if attempt == 2:
                            raise
            assert response.status_code == 202, response.text
            accepted[response.json()["event_id"]] = f"customer {i} message {n}"

        plan = [(i, n) for n in range(MESSAGES_PER_CUSTOMER) for i in range(CUSTOMERS)]
        half = len(plan) // 2
        await asyncio.gather(*(send(i, n) for i, n in plan[:half]))

        async def stored_some() -> int | None:
            customer = await find_customer(client, case_url, agent, visitor_key(chats[0]))
            if customer is None:
                return None
            entries = await full_timeline(client, case_url, agent, customer["id"])
            return len(entries) or None

        await eventually(stored_some, what="the case service to start storing")
        stack.services["case"].kill()
        await asyncio.gather(*(send(i, n) for i, n in plan[half:]))
        assert len(accepted) == CUSTOMERS * MESSAGES_PER_CUSTOMER
        await asyncio.to_thread(stack.start_service, "case")

        async def all_entries() -> list[dict[str, Any]] | None:
            entries: list[dict[str, Any]] = []
            for i in range(CUSTOMERS):
                customer = await find_customer(client, case_url, agent, visitor_key(chats[i]))
                if customer is None:
                    return None
                entries += await full_timeline(client, case_url, agent, customer["id"])
            messages = [e for e in entries if e["entry_type"] == "interaction"]
            return entries if len(messages) >= len(accepted) else None

        entries = await eventually(all_entries, timeout=120, what="all 1,000 on the timelines")

    messages = [e for e in entries if e["entry_type"] == "interaction"]
    ids = [e["id"] for e in messages]
    assert len(ids) == len(set(ids)), "duplicates on the timeline"
    assert set(ids) == set(accepted), "lost or foreign events"
    for entry in messages:
        assert entry["interaction"]["content"]["text"] == accepted[entry["id"]]
    routing = [e for e in entries if e["entry_type"] == "routing"]
    assert len(routing) == CUSTOMERS, "one queued task per conversation, stored once"
