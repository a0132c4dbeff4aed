"""The web-chat widget's WebSocket, as the tools and tests open it: the conversation
token travels as a subprotocol, never in the URL (where access logs keep it)."""

from __future__ import annotations

from typing import Any

from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("cc.webchat.v1")


def visitor_socket(chat_url: str, token: str, **options: Any) -> connect:
    """``async with visitor_socket(url, token) as socket`` (or ``await`` it) for the
    visitor's conversation on ingest-chat at ``chat_url`` (http or ws)."""
    base = chat_url.replace("http://", "ws://").replace("https://", "wss://")
    return connect(
        f"{base}/v1/webchat/ws",
        subprotocols=[PROTOCOL, Subprotocol(f"cc.token.{token}")],
        **options,
    )
