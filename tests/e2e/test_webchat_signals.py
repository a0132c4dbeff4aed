"""Typing both ways and replies across instances: a visitor's typing reaches the agent
assigned to the case (and not a colleague), an agent's typing and replies reach the
visitor live whichever of two ingest-chat instances holds the visitor's socket, each
reply exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from cc_common.auth import Role
from contactcenter_cli.processes import ManagedProcess, free_port, wait_for_ready
from contactcenter_cli.stack import ServiceSpec, Stack, service_process
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key
from tests.e2e.test_webchat_live import receive

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="module")
def second_chat(stack: Stack) -> Iterator[str]:
    """Another ingest-chat process of the same stack (same consumer groups, database)."""
    spec = ServiceSpec("ingest-chat-2", "ingest_chat.main:create_app", free_port())
    process: ManagedProcess = service_process(stack.config, spec)
    process.start()
    try:
        url = f"http://127.0.0.1:{spec.port}"
        wait_for_ready(process, f"{url}/readyz", 60)
        yield url
    finally:
        process.stop()


class Listener:
    """An agent's live stream (SSE), its events collected in the background."""

    def __init__(self, client: httpx.AsyncClient, url: str, bearer: str) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._task = asyncio.create_task(self._listen(client, url, bearer))

    async def _listen(self, client: httpx.AsyncClient, url: str, bearer: str) -> None:
        headers = {"Authorization": f"Bearer {bearer}"}
        async with client.stream("GET", url, headers=headers, timeout=None) as response:
            name = "message"
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    self.events.append((name, json.loads(line[6:])))

    def typing(self) -> list[dict[str, Any]]:
        return [data["data"] for name, data in self.events if name == "conversation.typing"]

    async def close(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def open_case(
    client: httpx.AsyncClient, chat_url: str, case_url: str, tenant: str, agent: str
) -> tuple[str, str, str]:
    """A visitor's conversation with one message; returns its token, id and case id."""
    email = f"v{uuid.uuid4().hex[:8]}@example.com"
    started = await client.post(
        f"{chat_url}/v1/webchat/conversations", json={"tenant_id": tenant, "email": email}
    )
    visitor = started.raise_for_status().json()
    sent = await client.post(
        f"{chat_url}/v1/webchat/messages",
        json={"client_message_id": "m1", "text": "Is anyone there?"},
        headers={"Authorization": f"Bearer {visitor['token']}"},
    )
    assert sent.status_code == 202

    async def case_id() -> str | None:
        customer = await find_customer(client, case_url, agent, visitor_key(visitor))
        if customer is None:
            return None
        entries = await full_timeline(client, case_url, agent, customer["id"])
        found = next((e["case_id"] for e in entries if e["entry_type"] == "interaction"), None)
        if found is None:
            return None
        # The message is on the timeline a moment before the case knows whom to answer.
        case = await client.get(
            f"{case_url}/v1/cases/{found}", headers={"Authorization": f"Bearer {agent}"}
        )
        return found if case.json().get("reply_to") else None

    found = await eventually(case_id, what="the visitor's case, ready for a reply")
    return visitor["token"], visitor["conversation_id"], found


async def assign(client: httpx.AsyncClient, case_url: str, case_id: str, headers: Any) -> None:
    current = await client.get(f"{case_url}/v1/cases/{case_id}", headers=headers)
    response = await client.patch(
        f"{case_url}/v1/cases/{case_id}",
        json={"assignee_id": "emi"},
        headers={**headers, "If-Match": current.headers["etag"]},
    )
    assert response.status_code == 200, response.text


async def test_typing_both_ways_and_replies_reach_visitors_on_either_instance(
    stack: Stack, second_chat: str
) -> None:
    tenant = f"t{uuid.uuid4().hex[:8]}"
    case_url = stack.url("case")
    emi = token(stack, tenant, Role.AGENT, subject="emi")
    ken = token(stack, tenant, Role.AGENT, subject="ken")
    emi_auth = {"Authorization": f"Bearer {emi}"}
    chats = {"a": stack.url("ingest-chat"), "b": second_chat}

    async with httpx.AsyncClient(timeout=15) as client:
        visitors = {
            name: await open_case(client, url, case_url, tenant, emi) for name, url in chats.items()
        }
        for _, _, case_id in visitors.values():
            await assign(client, case_url, case_id, emi_auth)
        emi_stream = Listener(client, f"{case_url}/v1/events", emi)
        ken_stream = Listener(client, f"{case_url}/v1/events", ken)
        sockets: dict[str, ClientConnection] = {}
        try:
            for name, (visitor, _, _) in visitors.items():
                sockets[name] = await visitor_socket(chats[name], visitor)

            # The visitor types; the assigned agent sees it, the colleague does not. The
            # live consumers start at the latest offset, so type until it shows.
            async def emi_saw_typing() -> list[dict[str, Any]]:
                await sockets["a"].send(json.dumps({"type": "typing", "active": False}))
                await asyncio.sleep(0.3)
                return emi_stream.typing()

            seen = (await eventually(emi_saw_typing, what="the visitor's typing at Emi's"))[0]
            assert seen["party"] == "customer"
            assert seen["conversation_key"] == f"webchat:{visitors['a'][1]}"
            await asyncio.sleep(1)
            assert ken_stream.typing() == [], "a colleague does not see another's chats"

            # The agent types and replies; each visitor sees both, on either instance.
            for name, (_, _, case_id) in visitors.items():

                async def typing_shown(case_id: str = case_id, name: str = name) -> bool:
                    response = await client.post(
                        f"{case_url}/v1/cases/{case_id}/typing",
                        json={"active": True},
                        headers=emi_auth,
                    )
                    assert response.status_code == 204, response.text
                    with contextlib.suppress(TimeoutError):
                        frame = await receive(sockets[name], "typing", timeout=1)
                        return bool(frame["party"] == "agent" and frame["active"])
                    return False

                await eventually(typing_shown, what=f"Emi's typing at visitor {name}")

            for n in (1, 2):
                for name, (_, _, case_id) in visitors.items():
                    reply = await client.post(
                        f"{case_url}/v1/cases/{case_id}/replies",
                        json={"text": f"Reply {n} to {name}"},
                        headers={**emi_auth, "Idempotency-Key": f"{name}{n}"},
                    )
                    assert reply.status_code == 202, reply.text
                for name in visitors:
                    frame = await receive(sockets[name], "agent_message")
                    assert (frame["seq"], frame["text"]) == (n, f"Reply {n} to {name}"), (
                        "each reply once, in order, on either instance"
                    )
        finally:
            for socket in sockets.values():
                await socket.close()
            await emi_stream.close()
            await ken_stream.close()
