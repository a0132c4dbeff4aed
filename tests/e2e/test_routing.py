"""Routing through the real services: configure, go available, get offered, accept."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import Stack
from tests.e2e.conftest import token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def test_work_reaches_the_skilled_agent_who_accepts_and_completes_it(stack: Stack) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    supervisor = {"Authorization": f"Bearer {token(stack, tenant, Role.SUPERVISOR)}"}
    router_url, case_url, chat_url = (
        stack.url("router"),
        stack.url("case"),
        stack.url("ingest-chat"),
    )
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.put(
            f"{router_url}/v1/queues/billing",
            json={
                "name": "billing",
                "requires": "billing>=3",
                "keywords": ["invoice"],
                "sla_seconds": 60,
                "offer_timeout_seconds": 60,
            },
            headers=supervisor,
        )
        assert response.status_code == 202, response.text
        bad = await client.put(
            f"{router_url}/v1/queues/broken",
            json={"name": "broken", "requires": "billing>=lots"},
            headers=supervisor,
        )
        assert bad.status_code == 422
        for agent_id, skills in (("ana", {"billing": 4}), ("bo", {"tech": 5})):
            response = await client.put(
                f"{router_url}/v1/agents/{agent_id}",
                json={"agent_id": agent_id, "skills": skills},
                headers=supervisor,
            )
            assert response.status_code == 202, response.text
        agents = {
            name: {"Authorization": f"Bearer {token(stack, tenant, Role.AGENT, subject=name)}"}
            for name in ("ana", "bo")
        }
        for headers in agents.values():
            response = await client.put(
                f"{case_url}/v1/agents/me/presence",
                json={"presence": "available"},
                headers=headers,
            )
            assert response.status_code == 202, response.text

        chat = (
            await client.post(
                f"{chat_url}/v1/webchat/conversations",
                json={"tenant_id": tenant, "email": "eve@example.com"},
            )
        ).json()
        response = await client.post(
            f"{chat_url}/v1/webchat/messages",
            json={"client_message_id": "1", "text": "A question about my invoice"},
            headers={"Authorization": f"Bearer {chat['token']}"},
        )
        assert response.status_code == 202
        customer = await eventually(
            lambda: find_customer(
                client, case_url, agents["ana"]["Authorization"][7:], visitor_key(chat)
            ),
            what="customer",
        )

        async def routing_kinds(*wanted: str) -> list[dict[str, Any]] | None:
            entries = await full_timeline(
                client, case_url, agents["ana"]["Authorization"][7:], customer["id"]
            )
            routing = [e for e in reversed(entries) if e["entry_type"] == "routing"]
            kinds = [e["kind"] for e in routing]
            return routing if kinds == list(wanted) else None

        routing = await eventually(
            lambda: routing_kinds("task.queued", "task.offered"), what="an offer"
        )
        offered = routing[1]["routing"]
        assert offered["agent_id"] == "ana"
        assert offered["queue"] == "billing"
        task_id = offered["task_id"]

        # bo cannot accept ana's offer; the router refuses it quietly.
        for who, action in (("bo", "accept"), ("ana", "accept")):
            response = await client.post(
                f"{case_url}/v1/tasks/{task_id}/actions",
                json={"action": action},
                headers=agents[who],
            )
            assert response.status_code == 202
        await eventually(
            lambda: routing_kinds("task.queued", "task.offered", "task.accepted"),
            what="acceptance",
        )
        response = await client.post(
            f"{case_url}/v1/tasks/{task_id}/actions",
            json={"action": "complete"},
            headers=agents["ana"],
        )
        routing = await eventually(
            lambda: routing_kinds("task.queued", "task.offered", "task.accepted", "task.completed"),
            what="completion",
        )
        assert routing[2]["routing"]["agent_id"] == "ana"
        # Accepting made her the case's assignee (her desk follows it live).
        case_url_of_task = f"{case_url}/v1/cases/{routing[2]['case_id']}"
        case = await client.get(case_url_of_task, headers=agents["ana"])
        assert case.json()["assignee_id"] == "ana"

        # A visitor who leaves before anyone answers abandons the waiting task.
        await client.put(
            f"{case_url}/v1/agents/me/presence", json={"presence": "break"}, headers=agents["ana"]
        )
        leaver = (
            await client.post(
                f"{chat_url}/v1/webchat/conversations",
                json={"tenant_id": tenant, "email": "lea@example.com"},
            )
        ).json()
        leaver_auth = {"Authorization": f"Bearer {leaver['token']}"}
        await client.post(
            f"{chat_url}/v1/webchat/messages",
            json={"client_message_id": "1", "text": "my invoice is wrong"},
            headers=leaver_auth,
        )
        leaver_customer = await eventually(
            lambda: find_customer(
                client, case_url, agents["ana"]["Authorization"][7:], visitor_key(leaver)
            ),
            what="the leaving customer",
        )
        closed = await client.post(
            f"{chat_url}/v1/webchat/conversations/current/close", headers=leaver_auth
        )
        assert closed.status_code == 202

        async def abandoned() -> list[str] | None:
            entries = await full_timeline(
                client, case_url, agents["ana"]["Authorization"][7:], leaver_customer["id"]
            )
            kinds = [e["kind"] for e in reversed(entries) if e["entry_type"] == "routing"]
            return kinds if kinds == ["task.queued", "task.abandoned"] else None

        await eventually(abandoned, what="the abandoned task")

        stats = (await client.get(f"{router_url}/v1/queues", headers=supervisor)).json()
        mirrored = (await client.get(f"{case_url}/v1/queues", headers=supervisor)).json()
        assert [row["queue"] for row in mirrored] == [row["queue"] for row in stats]
        billing = next(row for row in stats if row["queue"] == "billing")
        assert billing["answered"] == 1
        assert billing["abandoned"] == 1
        assert billing["service_level_percent"] == 100.0
        assert billing["waiting"] == 0
