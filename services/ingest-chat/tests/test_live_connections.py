"""A visitor's sockets get each agent message once, in order, however often it is
pushed (by the sending instance, by the signal topic, by a resume)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket

from ingest_chat.adapters.live import LiveConnections
from ingest_chat.domain.webchat_wire import AgentMessage


class FakeSocket:
    def __init__(self, *, broken: bool = False) -> None:
        self.frames: list[dict[str, Any]] = []
        self.broken = broken

    async def send_json(self, payload: dict[str, Any]) -> None:
        if self.broken:
            raise RuntimeError("closed")
        self.frames.append(payload)


def message(seq: int) -> AgentMessage:
    return AgentMessage(f"r{seq}", seq, f"text {seq}", "emi", datetime(2026, 1, 1, tzinfo=UTC))


def seqs(socket: FakeSocket) -> list[int]:
    return [f["seq"] for f in socket.frames if f["type"] == "agent_message"]


@pytest.mark.asyncio
async def test_each_socket_gets_each_message_once_in_order() -> None:
    live = LiveConnections()
    early, late = FakeSocket(), FakeSocket()
    live.add("c1", cast(WebSocket, early))
    assert live.oldest_seen("c1") == 0
    await live.push_messages("c1", [message(1)])
    live.add("c1", cast(WebSocket, late))
    await live.push_messages("c1", [message(2), message(1)])
    await live.push_messages("c1", [message(2)])  # announced again by the signal
    assert seqs(early) == [1, 2]
    assert seqs(late) == [1, 2]
    assert live.oldest_seen("c1") == 2
    assert live.oldest_seen("elsewhere") is None


@pytest.mark.asyncio
async def test_resume_reaches_only_the_asking_socket_and_a_broken_one_is_skipped() -> None:
    live = LiveConnections()
    asking, other, broken = FakeSocket(), FakeSocket(), FakeSocket(broken=True)
    for socket in (asking, other, broken):
        live.add("c1", cast(WebSocket, socket))
    reached = await live.push_messages("c1", [message(1)], only=cast(WebSocket, asking))
    assert reached == 1
    assert (seqs(asking), seqs(other)) == ([1], [])
    assert await live.push_messages("c1", [message(1)]) == 1  # only `other` still lacked it
    assert live.oldest_seen("c1") == 0, "the broken socket got nothing"
