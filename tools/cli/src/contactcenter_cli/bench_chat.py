"""Messaging ingest: signed LINE webhooks/s with durable 2xx, and WebSocket visitors held
with messages flowing, beside the raw produce rate measured in the same run.

Starts a private broker, database and ingest-chat. The webhook load is wrk posting one
signed LINE request (one text event) over and over (wrk cannot sign per request, so
the events repeat; ingest publishes each one, deduplication happens downstream). The
WebSocket load opens ``visitors`` conversations and keeps every socket open; then the
visitors between them send ``ws_rate`` messages/s (open loop) for ``seconds``, each timed
until its acknowledgement (durable); at the end every socket is pinged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from contactcenter_cli.bench_table import summarise, table
from contactcenter_cli.bench_voice import raw_produce_rate, run_wrk
from contactcenter_cli.processes import require_wrk
from contactcenter_cli.stack import LOAD_GENERATOR_LIMITS, private_stack
from contactcenter_cli.webchat_client import visitor_socket

TENANT = "bench"
SECRET = "bench-line-channel-secret-0123456789"  # noqa: S105  (a throwaway local channel)


def line_body() -> bytes:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": "Ubench0000000000000000000000000000"},
        "webhookEventId": "01BENCH0000000000000000000",
        "deliveryContext": {"isRedelivery": False},
        "replyToken": "bench-reply-token",
        "message": {"id": "100000000000000001", "type": "text", "text": "x" * 700},
    }
    return json.dumps({"destination": "U0", "events": [event]}).encode()


def _wrk_script(path: Path, body: bytes) -> None:
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest())
    path.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body.decode())}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Line-Signature"] = "{signature.decode()}"\n'
    )


OPENING_AT_ONCE = 50
"""Handshakes in flight together while the visitors arrive."""


async def websocket_load(
    base: str, *, visitors: int, seconds: float, messages_per_s: float
) -> dict[str, float]:
    """Open ``visitors`` sockets (``OPENING_AT_ONCE`` handshakes at a time) and hold them
    all; then, for ``seconds``, the visitors between them send ``messages_per_s``
    messages (each visitor in turn, open loop), each timed to its acknowledgement
    (durable). Reports how many sockets were still open and answering at the end."""
    async with httpx.AsyncClient(timeout=30) as client:
        tokens = []
        for _ in range(visitors):
            response = await client.post(
                f"{base}/v1/webchat/conversations", json={"tenant_id": TENANT}
            )
            tokens.append(response.raise_for_status().json()["token"])
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def open_one(token: str) -> ClientConnection:
        async with gate:
            return await visitor_socket(base, token, open_timeout=60, max_queue=None)

    opening = time.perf_counter()
    sockets = await asyncio.gather(*(open_one(t) for t in tokens))
    open_s = time.perf_counter() - opening

    latencies: list[float] = []
    failures = 0

    async def send(socket: ClientConnection, n: int) -> None:
        nonlocal failures
        started = time.perf_counter()
        try:
            await socket.send(
                json.dumps({"type": "message", "client_message_id": f"m{n}", "text": "y" * 200})
            )
            async with asyncio.timeout(30):
                while json.loads(await socket.recv())["type"] != "ack":
                    pass
            latencies.append(time.perf_counter() - started)
        except (TimeoutError, ConnectionClosed):
            failures += 1

    total = int(seconds * messages_per_s)
    flowing = time.perf_counter()
    # One message in flight per socket at a time: visitor k sends messages k, k+V, ...
    by_socket: list[list[int]] = [list(range(k, total, visitors)) for k in range(visitors)]

    async def visitor(k: int) -> None:
        for n in by_socket[k]:
            await asyncio.sleep(max(0.0, flowing + n / messages_per_s - time.perf_counter()))
            await send(sockets[k], n)

    await asyncio.gather(*(visitor(k) for k in range(visitors)))
    elapsed = time.perf_counter() - flowing
    held = 0
    for socket in sockets:
        try:
            await asyncio.wait_for(socket.ping(), 10)
            held += 1
        except (TimeoutError, ConnectionClosed):
            pass
    await asyncio.gather(*(socket.close() for socket in sockets))
    ordered = sorted(latencies)
    return {
        "ws_visitors": float(visitors),
        "ws_held": float(held),
        "ws_open_s": open_s,
        "ws_messages_per_s": len(ordered) / elapsed,
        "ws_failures": float(failures),
        "ws_p50_ms": statistics.median(ordered) * 1000 if ordered else 0.0,
        "ws_p99_ms": ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000 if ordered else 0.0,
    }


def run(
    *,
    seconds: int = 8,
    connections: int = 32,
    runs: int = 3,
    visitors: int = 200,
    ws_rate: float = 200.0,
) -> dict[str, Any]:
    require_wrk()
    line = {
        TENANT: {"channel_secrets": [SECRET], "access_token": "unused", "profile_lookup": False}
    }
    with private_stack(
        "ingest-chat",
        extra_env={
            "CHAT_LINE": json.dumps(line),
            **LOAD_GENERATOR_LIMITS,
        },
    ) as stack:
        base = stack.url("ingest-chat")
        script = stack.config.data_dir / "line.lua"
        _wrk_script(script, line_body())
        results = []
        for _ in range(runs):
            produce = asyncio.run(raw_produce_rate(stack))
            hooks = run_wrk(
                script,
                f"{base}/v1/line/{TENANT}/webhook",
                seconds=seconds,
                connections=connections,
            )
            sockets = asyncio.run(
                websocket_load(base, visitors=visitors, seconds=seconds, messages_per_s=ws_rate)
            )
            results.append(
                {
                    "raw_produce_per_s": produce,
                    "webhooks_per_s": hooks["requests_per_s"],
                    "webhook_p50_ms": hooks["p50_ms"],
                    "webhook_p99_ms": hooks["p99_ms"],
                    **sockets,
                }
            )
    return {"runs": results, "summary": summarise(results, ROWS)}


ROWS = (
    ("raw produce, 1 KB msg/s", "raw_produce_per_s"),
    ("LINE webhooks/s (200)", "webhooks_per_s"),
    ("webhook p50 ms", "webhook_p50_ms"),
    ("webhook p99 ms", "webhook_p99_ms"),
    ("WebSocket visitors", "ws_visitors"),
    ("WS sockets held to the end", "ws_held"),
    ("WS seconds to open them all", "ws_open_s"),
    ("WS messages/s (acked)", "ws_messages_per_s"),
    ("WS messages not acked", "ws_failures"),
    ("WS ack p50 ms", "ws_p50_ms"),
    ("WS ack p99 ms", "ws_p99_ms"),
)


def format_result(result: dict[str, Any]) -> str:
    s = result["summary"]
    ratio = s["webhooks_per_s"]["median"] / s["raw_produce_per_s"]["median"]
    return "\n".join(
        [
            *table(s, ROWS),
            f"webhooks/s are {ratio:.1%} of the raw produce rate (one uvicorn worker).",
        ]
    )
