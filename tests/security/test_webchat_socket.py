"""The web chat (issue "Nothing forged", findings 5 and 6): the token is no
longer taken from the URL (access logs kept 309 of them), every frame kind counts
against the visitor's budget (1,000 read frames made 1,000 events), a read receipt
counts only for the visitor's own message and once, stopped-typing frames are
throttled like typing ones, a binary frame is answered, not a crash, and a forged
X-Forwarded-For does not escape the per-address limit."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from cc_common.events import CONVERSATION_TYPING, INTERACTION_RECEIVED
from cc_common.kafka.inspect import read_events
from cc_common.topics import INTERACTIONS, SIGNALS
from contactcenter_cli.stack import Stack, StackConfig
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

FRAME_BURST = 40
CONVERSATION_BURST = 20
MESSAGE_BURST_PER_IP = 6


@pytest.fixture(scope="module")
def chat_stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stack with the widget's default frame budget."""
    limits = {
        "CHAT_VISITOR_FRAMES_PER_SECOND": "10",
        "CHAT_VISITOR_FRAME_BURST": str(FRAME_BURST),
        "CHAT_CONVERSATIONS_PER_IP_PER_SECOND": "0.5",
        "CHAT_CONVERSATION_BURST_PER_IP": str(CONVERSATION_BURST),
        "CHAT_MESSAGES_PER_IP_PER_SECOND": "1",
        "CHAT_MESSAGE_BURST_PER_IP": str(MESSAGE_BURST_PER_IP),
    }
    with running_stack(infra, tmp_path_factory.mktemp("socket"), extra_env=limits) as stack:
        yield stack


async def start(stack: Stack, forwarded_for: str | None = None) -> dict[str, Any]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{stack.url('ingest-chat')}/v1/webchat/conversations",
            json={"tenant_id": f"t{uuid.uuid4().hex[:8]}", "email": "v@example.com"},
            headers=headers,
        )
    started: dict[str, Any] = response.raise_for_status().json()
    return started


async def answers(socket: ClientConnection, quiet: float = 1.0) -> list[dict[str, Any]]:
    """Every frame the server sends until it has been quiet for ``quiet`` seconds."""
    frames = []
    while True:
        try:
            async with asyncio.timeout(quiet):
                frames.append(json.loads(await socket.recv()))
        except TimeoutError:
            return frames


async def of_conversation(stack: Stack, topic: str, event_type: str, key: str) -> int:
    events = await read_events(stack.config.kafka_settings(), topic)
    return sum(
        1
        for e in events
        if e.type == event_type and getattr(e.data, "conversation_key", None) == key
    )


async def test_a_token_in_the_url_is_refused(chat_stack: Stack) -> None:
    visitor = await start(chat_stack)
    ws = chat_stack.url("ingest-chat").replace("http://", "ws://")
    with pytest.raises(InvalidStatus):
        async with connect(f"{ws}/v1/webchat/ws?token={visitor['token']}"):
            pass
    async with visitor_socket(chat_stack.url("ingest-chat"), visitor["token"]) as socket:
        assert socket.subprotocol == "cc.webchat.v1"


async def test_a_flood_of_receipts_is_cut_off_and_makes_no_events(chat_stack: Stack) -> None:
    visitor = await start(chat_stack)
    key = f"webchat:{visitor['conversation_id']}"
    async with visitor_socket(chat_stack.url("ingest-chat"), visitor["token"]) as socket:
        for n in range(1000):
            await socket.send(json.dumps({"type": "read", "reply_id": f"someone-else-{n}"}))
        frames = await answers(socket)
        limited = [f for f in frames if f.get("detail") == "rate limited"]
        assert len(limited) >= 1000 - FRAME_BURST - 100  # the budget refills at 10 a second
        # The socket still works, within the budget.
        await asyncio.sleep(1)
        await socket.send(json.dumps({"type": "message", "client_message_id": "m1", "text": "hi"}))
        assert any(f["type"] == "ack" for f in await answers(socket))
    # No receipt for a message that is not the visitor's became an event.
    reads = await of_conversation(chat_stack, INTERACTIONS.name, INTERACTION_RECEIVED, key)
    assert reads == 1  # the message only


async def test_stopped_typing_is_throttled_and_binary_frames_answered(chat_stack: Stack) -> None:
    visitor = await start(chat_stack)
    key = f"webchat:{visitor['conversation_id']}"
    async with visitor_socket(chat_stack.url("ingest-chat"), visitor["token"]) as socket:
        await socket.send(b"\x00\x01binary")
        (error,) = await answers(socket, quiet=0.5)
        assert error == {"type": "error", "detail": "send text frames (JSON)"}
        for _ in range(30):
            await socket.send(json.dumps({"type": "typing", "active": False}))
        await answers(socket, quiet=0.5)
    await asyncio.sleep(1)
    signals = await of_conversation(chat_stack, SIGNALS.name, CONVERSATION_TYPING, key)
    assert 1 <= signals <= 2  # one "stopped" every two seconds, not thirty


async def test_one_address_is_limited_across_its_conversations(chat_stack: Stack) -> None:
    """Many conversations from one address share one message budget (each had its
    own before, so one client could send as fast as it opened conversations)."""
    visitors = [await start(chat_stack) for _ in range(3)]
    statuses = []
    async with httpx.AsyncClient(timeout=10) as client:
        for n in range(4):
            for visitor in visitors:
                response = await client.post(
                    f"{chat_stack.url('ingest-chat')}/v1/webchat/messages",
                    json={"client_message_id": f"m{n}", "text": "hello"},
                    headers={"Authorization": f"Bearer {visitor['token']}"},
                )
                statuses.append(response.status_code)
    # Each visitor sent 4 (under its own burst of 10); the address, 12 against 6.
    assert statuses.count(202) <= MESSAGE_BURST_PER_IP + 2
    assert statuses.count(429) >= 12 - MESSAGE_BURST_PER_IP - 2


# Last: it spends the address's conversation budget.
async def test_a_forged_forwarded_for_does_not_rotate_the_address_limit(
    chat_stack: Stack,
) -> None:
    """Nothing stands in front of this stack, so X-Forwarded-For is the client's own
    claim: 30 conversations from one address, each naming another, still meet the
    per-address budget (before: uvicorn trusted it from 127.0.0.1)."""
    statuses = []
    for n in range(CONVERSATION_BURST + 10):
        try:
            await start(chat_stack, forwarded_for=f"203.0.113.{n}")
            statuses.append(201)
        except httpx.HTTPStatusError as refused:
            statuses.append(refused.response.status_code)
    assert statuses.count(429) >= 5
