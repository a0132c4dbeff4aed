"""The visitors connected to this instance, by conversation, for live delivery.

Each socket remembers the number of the last agent message it was sent: a message
pushed here and announced again by the signal topic (or by a resume) is sent once.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from starlette.websockets import WebSocket

from ingest_chat.domain.webchat_wire import AgentMessage


class LiveConnections:
    def __init__(self) -> None:
        self._sockets: dict[str, dict[WebSocket, int]] = defaultdict(dict)

    def add(self, conversation_id: str, socket: WebSocket) -> None:
        self._sockets[conversation_id][socket] = 0

    def remove(self, conversation_id: str, socket: WebSocket) -> None:
        self._sockets[conversation_id].pop(socket, None)
        if not self._sockets[conversation_id]:
            del self._sockets[conversation_id]

    async def push(self, conversation_id: str, payload: dict[str, Any]) -> int:
        """Send to every open socket of the conversation; how many received it."""
        delivered = 0
        for socket in list(self._sockets.get(conversation_id, ())):
            if await _send(socket, payload):
                delivered += 1
        return delivered

    def oldest_seen(self, conversation_id: str) -> int | None:
        """The lowest last-sent message number among the conversation's sockets here;
        None when no socket of the conversation is connected to this instance."""
        sockets = self._sockets.get(conversation_id)
        return min(sockets.values()) if sockets else None

    async def push_messages(
        self,
        conversation_id: str,
        messages: Sequence[AgentMessage],
        *,
        only: WebSocket | None = None,
    ) -> int:
        """Send each socket (or ``only`` one) the messages it has not had yet, in order;
        how many sockets received at least one."""
        sockets = self._sockets.get(conversation_id, {})
        reached = 0
        for socket in [only] if only is not None else list(sockets):
            if socket not in sockets:
                continue
            fresh = [m for m in sorted(messages, key=lambda m: m.seq) if m.seq > sockets[socket]]
            for message in fresh:
                if not await _send(socket, message.wire()):
                    break
                sockets[socket] = message.seq
            else:
                reached += bool(fresh)
        return reached

    def count(self) -> int:
        return sum(len(s) for s in self._sockets.values())


async def _send(socket: WebSocket, payload: dict[str, Any]) -> bool:
    with contextlib.suppress(Exception):  # a socket closing under us: resume covers it
        await socket.send_json(payload)
        return True
    return False
