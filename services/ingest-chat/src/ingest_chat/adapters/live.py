"""The visitors connected to this instance, by conversation, for live delivery."""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import Any

from starlette.websockets import WebSocket


class LiveConnections:
    def __init__(self) -> None:
        self._sockets: dict[str, set[WebSocket]] = defaultdict(set)

    def add(self, conversation_id: str, socket: WebSocket) -> None:
        self._sockets[conversation_id].add(socket)

    def remove(self, conversation_id: str, socket: WebSocket) -> None:
        self._sockets[conversation_id].discard(socket)
        if not self._sockets[conversation_id]:
            del self._sockets[conversation_id]

    async def push(self, conversation_id: str, payload: dict[str, Any]) -> int:
        """Send to every open socket of the conversation; how many received it."""
        delivered = 0
        for socket in list(self._sockets.get(conversation_id, ())):
            with contextlib.suppress(Exception):  # a socket closing under us: resume covers it
                await socket.send_json(payload)
                delivered += 1
        return delivered

    def count(self) -> int:
        return sum(len(s) for s in self._sockets.values())
