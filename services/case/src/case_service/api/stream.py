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
from cc_common.events import Envelope

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
        read the case API again. The stream ends with an ``expired`` event when the
        token does (reconnect with a fresh one and ``Last-Event-ID``).

        Reconnecting with ``Last-Event-ID`` (browsers' EventSource does) replays what
        was missed from a bounded window (the last few minutes; a few events from just
        before it may come again: drop repeats by id). A ``gap`` event says the id is
        no longer in the window: read the case API again.
        """
        feed: LiveFeed = request.app.state.live
        subscription = feed.subscribe(principal)  # first: nothing falls between the two
        last_event_id = request.headers.get("last-event-id", "")[:64]
        missed = feed.missed(principal, last_event_id) if last_event_id else []
        watch_queues = principal.has_any(WATCH_ALL)
        authorization = request.headers["authorization"]
        client: httpx.AsyncClient = request.app.state.router_client

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 3000\n: connected\n\n"
                if missed is None:
                    yield f"event: gap\ndata: {json.dumps({'last_event_id': last_event_id})}\n\n"
                replayed = {event.id for event in missed or ()}
                for event in missed or ():
                    yield _frame(event)
                next_queues = time.monotonic()
                while True:
                    left = _seconds_left(principal)
                    if left <= 0:
                        yield "event: expired\ndata: {}\n\n"
                        return
                    if watch_queues and time.monotonic() >= next_queues:
                        next_queues = time.monotonic() + queue_seconds
                        figures = await _queues(client, authorization)
                        if figures is not None:
                            yield f"event: queues\ndata: {json.dumps(figures)}\n\n"
                    wait = min(KEEP_ALIVE_SECONDS, left)
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
                    if item.id in replayed:
                        continue  # came in while the replay was read: sent already
                    yield _frame(item)
            finally:
                feed.unsubscribe(subscription)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return router


def _seconds_left(principal: Principal) -> float:
    """Until the subscriber's token expires (a token without expiry: a day at a time)."""
    if principal.expires_at is None:
        return 86_400.0
    return principal.expires_at - time.time()


def _frame(event: Envelope[Any]) -> str:
    return f"id: {event.id}\nevent: {event_name(event)}\ndata: {event.model_dump_json()}\n\n"


async def _queues(client: httpx.AsyncClient, authorization: str) -> Any:
    try:
        response = await client.get("/v1/queues", headers={"Authorization": authorization})
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None
