"""``GET /v1/events``: server-sent events for agents and supervisors."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from case_service.domain.live_events import WATCH_ALL, event_name
from case_service.service.live_feed import LiveFeed, Overflowed
from cc_common.auth import Principal

KEEP_ALIVE_SECONDS = 15.0


def build_router(authenticate: Any, *, queue_seconds: float) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["live"])
    Subscriber = Annotated[Principal, Depends(authenticate)]

    @router.get(
        "/events",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def events(request: Request, principal: Subscriber) -> StreamingResponse:
        """Live changes as server-sent events (send the bearer token as a header).

        Agents get ``task`` events for their offers and tasks, and ``case.changed`` and
        ``case.sla_breached`` for cases assigned to them, and ``conversation.typing``
        when a web-chat customer of theirs types; supervisors get the whole tenant's,
        and ``queues`` (the router's live figures) every few seconds. An
        ``overflow`` event means the client fell behind and missed some: reconnect and
        read the case API again. There is no replay (no ``Last-Event-ID``).
        """
        feed: LiveFeed = request.app.state.live
        subscription = feed.subscribe(principal)
        watch_queues = principal.has_any(WATCH_ALL)
        authorization = request.headers["authorization"]
        client: httpx.AsyncClient = request.app.state.router_client

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 3000\n: connected\n\n"
                next_queues = time.monotonic()
                while True:
                    if watch_queues and time.monotonic() >= next_queues:
                        next_queues = time.monotonic() + queue_seconds
                        figures = await _queues(client, authorization)
                        if figures is not None:
                            yield f"event: queues\ndata: {json.dumps(figures)}\n\n"
                    wait = KEEP_ALIVE_SECONDS
                    if watch_queues:
                        wait = min(wait, max(0.1, next_queues - time.monotonic()))
                    try:
                        item = await asyncio.wait_for(subscription.queue.get(), wait)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        continue
                    if isinstance(item, Overflowed):
                        yield "event: overflow\ndata: {}\n\n"
                        return
                    body = item.model_dump_json()
                    yield f"id: {item.id}\nevent: {event_name(item)}\ndata: {body}\n\n"
            finally:
                feed.unsubscribe(subscription)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router


async def _queues(client: httpx.AsyncClient, authorization: str) -> Any:
    try:
        response = await client.get("/v1/queues", headers={"Authorization": authorization})
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None
