"""An integrator's webhook endpoint during the resilience run: subscribed to the run's
``case.changed`` events (in batches, as a busy tenant's endpoint would be), it records
every event id it receives; afterwards each event the case service published is looked
for among them (delivery is at least once: repeats are counted, not failures)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from cc_common.events import CaseChanged
from cc_common.kafka.inspect import read_events
from cc_common.topics import CASES
from contactcenter_cli.bench_webhooks import Endpoint
from contactcenter_cli.stack import Stack

BATCH_MAX = 20


@dataclass(frozen=True, slots=True)
class WebhookTally:
    published: int
    """Distinct case.changed events of the tenant on the broker."""
    delivered: int
    lost: int
    repeats: int
    """Copies beyond the first (at-least-once delivery: receivers drop them by id)."""


class WebhookReceiver:
    def __init__(self) -> None:
        self._endpoint = Endpoint(keep_bodies=True)
        self._server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._endpoint.serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def received(self) -> Counter[str]:
        ids: Counter[str] = Counter()
        for _, body in self._endpoint.bodies:
            ids.update(event["id"] for event in json.loads(body)["events"])
        return ids


async def subscribe(client: httpx.AsyncClient, stack: Stack, admin_token: str, url: str) -> None:
    response = await client.post(
        f"{stack.url('case')}/v1/webhooks",
        json={"url": url, "events": ["case.changed"], "batch_max": BATCH_MAX},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    response.raise_for_status()


async def webhook_tally(
    stack: Stack, tenant: str, receiver: WebhookReceiver, deadline: float
) -> WebhookTally:
    """Once every published event arrived (or at ``deadline``), what arrived."""
    published = {
        str(event.id)
        for event in await read_events(stack.config.kafka_settings(), CASES.name)
        if event.tenant_id == tenant and isinstance(event.data, CaseChanged)
    }
    received = receiver.received()
    while not published <= received.keys() and time.perf_counter() < deadline:
        await asyncio.sleep(2)
        received = receiver.received()
    delivered = published & received.keys()
    return WebhookTally(
        published=len(published),
        delivered=len(delivered),
        lost=len(published) - len(delivered),
        repeats=sum(n - 1 for n in received.values()),
    )
