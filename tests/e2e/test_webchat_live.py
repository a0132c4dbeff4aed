"""Web chat over a WebSocket, end to end: a visitor's message acknowledged once durable,
an agent's reply through the case API pushed live, a reply sent while the visitor was
away delivered on resume (and only that one), a read receipt on the agent's reply, and
a visitor who floods is rate limited while others carry on."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import InvalidStatus

from cc_common.auth import Role
from contactcenter_cli.stack import Stack, StackConfig
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import UNLIMITED_VISITORS, running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def receive(socket: ClientConnection, kind: str, timeout: float = 20) -> dict[str, Any]:
    """The next frame of ``kind`` (others, like acks, are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            frame: dict[str, Any] = json.loads(await socket.recv())
            if frame["type"] == kind:
                return frame


@pytest.fixture(scope="module")
def limited_stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack with the widget's default rate limits."""
    defaults = {
        "CHAT_VISITOR_MESSAGES_PER_SECOND": "2",
        "CHAT_VISITOR_MESSAGE_BURST": "10",
        "CHAT_CONVERSATIONS_PER_IP_PER_SECOND": "0.5",
        "CHAT_CONVERSATION_BURST_PER_IP": "20",
        "CHAT_VISITOR_FRAMES_PER_SECOND": "10",
        "CHAT_VISITOR_FRAME_BURST": "40",
        "CHAT_MESSAGES_PER_IP_PER_SECOND": "20",
        "CHAT_MESSAGE_BURST_PER_IP": "100",
        "CHAT_WEBCHAT_OPEN": "true",  # each test's own tenant
    }
    assert defaults.keys() == UNLIMITED_VISITORS.keys()
    with running_stack(infra, tmp_path_factory.mktemp("webchat"), extra_env=defaults) as stack:
        yield stack


async def test_live_web_chat_with_resume_and_receipts(limited_stack: Stack) -> None:
    stack = limited_stack
    chat, case_url = stack.url("ingest-chat"), stack.url("case")
    tenant = f"t{uuid.uuid4().hex[:8]}"
    agent = token(stack, tenant, Role.AGENT, subject="emi")
    auth = {"Authorization": f"Bearer {agent}"}
    email = f"v{uuid.uuid4().hex[:6]}@example.com"

    async with httpx.AsyncClient(timeout=10) as client:
        started = await client.post(
            f"{chat}/v1/webchat/conversations", json={"tenant_id": tenant, "email": email}
        )
        visitor = started.json()["token"]
        key = visitor_key(started.json())
        with pytest.raises(InvalidStatus):
            async with visitor_socket(chat, "forged"):
                pass

        async with visitor_socket(chat, visitor) as socket:
            await socket.send(
                json.dumps(
                    {"type": "message", "client_message_id": "c1", "text": "Hello, anyone there?"}
                )
            )
            ack = await receive(socket, "ack")
            assert ack["client_message_id"] == "c1"
            await socket.send(json.dumps({"type": "bogus"}))
            assert (
                "does not match any of the expected tags"
                in (await receive(socket, "error"))["detail"]
            )

            async def customer() -> dict[str, Any] | None:
                return await find_customer(client, case_url, agent, key)

            found = await eventually(customer, what="the visitor's customer")

            async def entries(kind: str) -> list[dict[str, Any]]:
                async def probe() -> list[dict[str, Any]]:
                    timeline = await full_timeline(client, case_url, agent, found["id"])
                    return [e for e in timeline if e["entry_type"] == kind]

                return await eventually(probe, what=kind)

            (message,) = await entries("interaction")
            assert message["id"] == ack["event_id"]
            case_id = message["case_id"]
            first = await client.post(
                f"{case_url}/v1/cases/{case_id}/replies",
                json={"text": "Hi! I'm Emi."},
                headers={**auth, "Idempotency-Key": "r1"},
            )
            assert first.status_code == 202, first.text
            live = await receive(socket, "agent_message")
            assert (live["text"], live["seq"], live["agent"]) == ("Hi! I'm Emi.", 1, "emi")
            await socket.send(json.dumps({"type": "read", "reply_id": live["reply_id"]}))

        # The visitor is away while the agent answers again.
        second = await client.post(
            f"{case_url}/v1/cases/{case_id}/replies",
            json={"text": "Are you still there?"},
            headers={**auth, "Idempotency-Key": "r2"},
        )
        assert second.status_code == 202

        async def stored() -> list[dict[str, Any]]:
            response = await client.get(
                f"{chat}/v1/webchat/messages",
                params={"after_seq": 1},
                headers={"Authorization": f"Bearer {visitor}"},
            )
            found_messages: list[dict[str, Any]] = response.json()
            return found_messages

        (waiting,) = await eventually(stored, what="the reply kept for the visitor")
        async with visitor_socket(chat, visitor) as socket:
            await socket.send(json.dumps({"type": "resume", "after_seq": 1}))
            resumed = await receive(socket, "agent_message")
            assert (resumed["seq"], resumed["text"]) == (2, "Are you still there?")
            assert resumed["reply_id"] == waiting["reply_id"]

        async def all_sent() -> list[dict[str, Any]]:
            replies = await entries("reply")
            return replies if {r["reply"]["status"] for r in replies} == {"sent"} else []

        assert len(await eventually(all_sent, what="both replies settled as sent")) == 2

        async def read() -> list[dict[str, Any]]:
            return [r for r in await entries("reply") if "read" in r["reply"].get("delivery", {})]

        (seen,) = await eventually(read, what="the read receipt")
        assert seen["reply"]["provider_message_id"] == live["reply_id"]

        # A flood from one visitor is refused; another visitor is served.
        statuses = []
        for n in range(30):
            response = await client.post(
                f"{chat}/v1/webchat/messages",
                json={"client_message_id": f"f{n}", "text": "spam"},
                headers={"Authorization": f"Bearer {visitor}"},
            )
            statuses.append(response.status_code)
        assert 429 in statuses
        assert statuses[0] == 202
        other = await client.post(f"{chat}/v1/webchat/conversations", json={"tenant_id": tenant})
        calm = await client.post(
            f"{chat}/v1/webchat/messages",
            json={"client_message_id": "x1", "text": "hello"},
            headers={"Authorization": f"Bearer {other.json()['token']}"},
        )
        assert calm.status_code == 202
