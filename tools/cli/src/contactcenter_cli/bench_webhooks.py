"""Webhook deliveries/s: the case service's fan-out and sender, against one local
endpoint that answers 204 at once, beside one client's MongoDB inserts in the same run.

Starts a private database (and broker, unused). The fan-out is handed ``deliveries``
``case.changed`` events in consumer batches of 500 for one subscription that wants
them all while the sender delivers what is stored (32 in flight, 8 to one target), as
in the service; timed until the fan-out has stored everything, the endpoint has every
event, and every delivery is settled as delivered. Once for a subscription taking one
event a POST, once for one taking 50: ``contactcenter bench`` judges the latter's
delivered rate against the durable reference's stored rate (the end-to-end target is
70% of it, and the webhooks must keep up with it).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

from case_service.adapters import webhook_store
from case_service.consumers.webhook_delivery import WebhookFanout, WebhookSender
from cc_common.events import CASE_CHANGED, CaseChanged, Envelope, utc_now
from cc_common.kafka.consumer import Delivery
from cc_common.mongo import ensure_indexes, make_mongo_client
from cc_common.settings import MongoSettings
from contactcenter_cli.bench_limits import mongo_rates
from contactcenter_cli.bench_table import summarise, table
from contactcenter_cli.stack import private_stack

BATCH = 500
NO_CONTENT = b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"


class Endpoint:
    """A minimal HTTP/1.1 endpoint (keep-alive) answering every POST with 204 after
    ``delay`` seconds; it counts what it received and the most it held at once."""

    def __init__(self, delay: float = 0.0, *, keep_bodies: bool = False) -> None:
        self.delay = delay
        self.keep_bodies = keep_bodies
        self.bodies: list[tuple[bytes, bytes]] = []
        """(head, body) of each POST, when kept."""
        self.received = 0
        self.events = 0
        """Events received: one a POST, or as many as a batch's ``events``."""
        self.in_flight = 0
        self.most_at_once = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":", 1)[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                body = await reader.readexactly(length)
                if self.keep_bodies:
                    self.bodies.append((head, body))
                self.in_flight += 1
                self.most_at_once = max(self.most_at_once, self.in_flight)
                if self.delay:
                    await asyncio.sleep(self.delay)
                self.in_flight -= 1
                self.received += 1
                self.events += _events_in(body)
                writer.write(NO_CONTENT)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
        except asyncio.CancelledError:  # the run is over: end quietly, not as an error
            writer.close()


def _events_in(body: bytes) -> int:
    if body.startswith(b'{"events":'):
        return len(json.loads(body)["events"])
    return 1


def _changed(n: int) -> Delivery:
    event = Envelope[CaseChanged](
        id=uuid.uuid4(),
        type=CASE_CHANGED,
        tenant_id="bench",
        occurred_at=utc_now(),
        source="bench",
        data=CaseChanged(
            case_id=f"case-{n % 50}",
            customer_id=f"c{n % 50}",
            entry_id=str(uuid.uuid4()),
            change="message",
            summary="x" * 200,
            channel="webchat",
            status="open",
        ),
    )
    return Delivery("cc.cases.v1", 0, n, None, b"", [], event)


BATCHED = 50
"""Events per POST of the batching subscription measured beside the one-event one."""


async def _measure(mongo_url: str, deliveries: int, *, batch_max: int = 1) -> dict[str, float]:
    endpoint = Endpoint()
    server = await asyncio.start_server(endpoint.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = make_mongo_client(MongoSettings(url=mongo_url), app_name="bench-webhooks")
    db = client[f"hooks{uuid.uuid4().hex[:8]}"]
    try:
        await ensure_indexes(db, webhook_store.INDEXES)
        repository = webhook_store.WebhookRepository(db)
        await repository.subscribe(
            {
                "_id": str(uuid.uuid4()),
                "tenant_id": "bench",
                "url": f"http://127.0.0.1:{port}/hook",
                "events": ["*"],
                "active": True,
                "secret": "whsec_bench",
                "created_at": utc_now(),
                "batch_max": batch_max,
            }
        )
        events = [_changed(n) for n in range(deliveries)]
        fanout = WebhookFanout(repository)
        sender = WebhookSender(
            repository,
            repository.doorbell,
            concurrency=32,
            per_target=8,
            timeout_seconds=10,
            allow_private_targets=True,
        )
        # Both at once, as in the service: the fan-out stores consumer batches while the
        # sender delivers what is stored.
        started = time.perf_counter()
        running = asyncio.create_task(sender.run())
        for first in range(0, deliveries, BATCH):
            await fanout(events[first : first + BATCH])
        stored_s = time.perf_counter() - started
        # Watch the endpoint (counting in the database would load it), then confirm.
        while endpoint.events < deliveries:  # noqa: ASYNC110  (counted by the server's tasks)
            await asyncio.sleep(0.02)
        sent_s = time.perf_counter() - started
        stored = db[webhook_store.DELIVERIES]
        posts = await stored.count_documents({})
        while await stored.count_documents({"status": "delivered"}) < posts:  # noqa: ASYNC110  (the state is in the database)
            await asyncio.sleep(0.1)
        settled_s = time.perf_counter() - started
        sender.stop()
        await running
    finally:
        server.close()
        await client.drop_database(db.name)
        await client.close()
    return {
        "fanout_per_s": deliveries / stored_s,
        "delivered_per_s": deliveries / sent_s,
        "settled_per_s": deliveries / settled_s,
        "endpoint_requests": float(endpoint.received),
    }


def run(
    *, seconds: int = 0, connections: int = 0, runs: int = 3, deliveries: int = 3000
) -> dict[str, Any]:
    del seconds, connections  # a fixed amount of work, timed
    results = []
    with private_stack(infrastructure_only=True) as stack:
        for _ in range(runs):
            raw = asyncio.run(mongo_rates(stack.config, 3000))["insert_one_per_s"]
            single = asyncio.run(_measure(stack.config.mongo_url, deliveries))
            batched = asyncio.run(_measure(stack.config.mongo_url, deliveries, batch_max=BATCHED))
            results.append(
                {
                    "raw_insert_one_per_s": raw,
                    **single,
                    **{f"batched_{name}": value for name, value in batched.items()},
                }
            )
    return {"runs": results, "summary": summarise(results, ROWS)}


ROWS = (
    ("MongoDB insert_one/s", "raw_insert_one_per_s"),
    ("one event a POST: fan-out stored/s", "fanout_per_s"),
    ("  delivered/s", "delivered_per_s"),
    ("  settled/s", "settled_per_s"),
    ("  endpoint requests", "endpoint_requests"),
    (f"{BATCHED} events a POST: fan-out stored/s", "batched_fanout_per_s"),
    ("  delivered/s", "batched_delivered_per_s"),
    ("  settled/s", "batched_settled_per_s"),
    ("  endpoint requests", "batched_endpoint_requests"),
)


def format_result(result: dict[str, Any]) -> str:
    return "\n".join(table(result["summary"], ROWS))
