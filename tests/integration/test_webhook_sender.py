"""The webhook fan-out and sender against real endpoints and a real database: a slow
endpoint holds at most its own share of the senders, every delivery is settled once, a
subscription that takes batches gets many events per signed POST (one stored delivery
each), a replayed consumer batch stores nothing twice, and what a process stored
leased to its own sender is sent by another once that lease lapses."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters import webhook_store
from case_service.consumers.webhook_delivery import WebhookFanout, WebhookSender
from case_service.domain.webhooks import verify
from cc_common.events import CASE_CHANGED, CaseChanged, Envelope, utc_now
from cc_common.kafka.consumer import Delivery
from cc_common.mongo import Document, ensure_indexes, make_mongo_client
from cc_common.settings import MongoSettings
from contactcenter_cli.bench_webhooks import Endpoint
from tests.e2e.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def changed() -> Delivery:
    event = Envelope[CaseChanged](
        id=uuid.uuid4(),
        type=CASE_CHANGED,
        tenant_id="acme",
        occurred_at=utc_now(),
        source="test",
        data=CaseChanged(
            case_id="case-1", customer_id="c1", change="note", channel="email", status="open"
        ),
    )
    return Delivery("cc.cases.v1", 0, 0, None, b"", [], event)


def subscription_to(server: asyncio.Server, **extra: Any) -> dict[str, Any]:
    """A subscription of tenant acme to every case event, sent to ``server``."""
    port = server.sockets[0].getsockname()[1]
    return {
        "_id": str(uuid.uuid4()),
        "tenant_id": "acme",
        "url": f"http://127.0.0.1:{port}/hook",
        "events": ["case.*"],
        "active": True,
        "secret": "whsec_test",
        **extra,
    }


@pytest_asyncio.fixture(loop_scope="session")
async def hooks_db(
    mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[AsyncDatabase[Document]]:
    """A database of its own with the webhook indexes, dropped afterwards."""
    client = make_mongo_client(mongo_settings, app_name="webhook-sender-test")
    db = client[f"hooks{unique}"]
    await ensure_indexes(db, webhook_store.INDEXES)
    try:
        yield db
    finally:
        await client.drop_database(db.name)
        await client.close()


def local_sender(repository: webhook_store.WebhookRepository, *, per_target: int) -> WebhookSender:
    return WebhookSender(
        repository,
        repository.doorbell,
        concurrency=8,
        per_target=per_target,
        timeout_seconds=10,
        allow_private_targets=True,
    )


async def test_a_slow_endpoint_holds_only_its_share_and_all_are_settled_once(
    hooks_db: AsyncDatabase[Document],
) -> None:
    slow, fast = Endpoint(delay=0.5), Endpoint(delay=0.0)
    servers = [await asyncio.start_server(e.serve, "127.0.0.1", 0) for e in (slow, fast)]
    db = hooks_db
    repository = webhook_store.WebhookRepository(db)
    subscriptions: list[dict[str, Any]] = []
    for server in servers:
        subscription = subscription_to(server)
        await repository.subscribe(subscription)
        subscriptions.append(subscription)
    # Both subscriptions want each of 40 events: 80 deliveries stored in one bulk write.
    await WebhookFanout(repository)([changed() for _ in range(40)])
    sender = local_sender(repository, per_target=2)
    running = asyncio.create_task(sender.run())
    try:
        # The fast endpoint is served in full while the slow one still works through its
        # queue at two at a time (40 x 0.5 s / 2 = 10 s).

        def served(endpoint: Endpoint) -> Callable[[], Awaitable[bool]]:
            async def all_forty() -> bool:
                return endpoint.received == 40

            return all_forty

        await eventually(served(fast), timeout=8, what="the fast endpoint")
        assert slow.received < 40
        await eventually(served(slow), timeout=30, what="the slow endpoint")
        assert slow.most_at_once <= 2
        deliveries = db[webhook_store.DELIVERIES]

        async def settled() -> bool:
            return await deliveries.count_documents({"status": "delivered"}) == 80

        await eventually(settled, timeout=10, what="every delivery settled")
        async for delivery in deliveries.find({}):
            assert len(delivery["attempts"]) == 1  # once each
    finally:
        sender.stop()
        await running
        for server in servers:
            server.close()


async def test_a_batching_subscription_gets_many_events_per_signed_post(
    hooks_db: AsyncDatabase[Document],
) -> None:
    """batch_max 10 and 35 events: at most 10 a POST, each event once, every delivery
    settled, each body signed as a whole (a slow endpoint: 35 events take 4 round trips
    at one in flight, not 35)."""
    endpoint = Endpoint(delay=0.2, keep_bodies=True)
    server = await asyncio.start_server(endpoint.serve, "127.0.0.1", 0)
    db = hooks_db
    repository = webhook_store.WebhookRepository(db)
    await repository.subscribe(subscription_to(server, batch_max=10))
    events = [changed() for _ in range(35)]
    await WebhookFanout(repository)(events)
    sender = local_sender(repository, per_target=1)
    running = asyncio.create_task(sender.run())
    try:
        deliveries = db[webhook_store.DELIVERIES]

        async def settled() -> bool:
            return await deliveries.count_documents({"status": {"$ne": "delivered"}}) == 0

        await eventually(settled, timeout=20, what="every delivery settled")
        stored = [doc async for doc in deliveries.find({})]
        assert len(stored) == len(endpoint.bodies) <= 4, "one stored delivery a POST"
        assert sum(len(doc["event_ids"]) for doc in stored) == 35
        received: list[str] = []
        for head, body in endpoint.bodies:
            batch = json.loads(body)["events"]
            assert 1 <= len(batch) <= 10
            headers = dict(
                line.decode().lower().split(": ", 1) for line in head.split(b"\r\n")[1:] if line
            )
            assert headers["x-cc-event-count"] == str(len(batch))
            assert verify(headers["x-cc-signature"], "whsec_test", body, now=int(time.time()))
            received += [event["id"] for event in batch]
        assert sorted(received) == sorted(str(d.event.id) for d in events)
    finally:
        sender.stop()
        await running
        server.close()


@pytest.mark.parametrize("batch_max", [1, 10])
async def test_a_replayed_batch_stores_nothing_twice(
    hooks_db: AsyncDatabase[Document], batch_max: int
) -> None:
    """A consumer killed before committing gets its batch again, larger and cut
    elsewhere: only the events not yet in a delivery are stored."""
    db = hooks_db
    repository = webhook_store.WebhookRepository(db)
    server = await asyncio.start_server(Endpoint().serve, "127.0.0.1", 0)
    try:
        await repository.subscribe(subscription_to(server, batch_max=batch_max))
        events = [changed() for _ in range(25)]
        fanout = WebhookFanout(repository)
        await fanout(events[:15])
        # The replay: ten already stored, ten new, one of them published twice.
        await fanout([*events[5:], events[-1]])
        stored = [doc async for doc in db[webhook_store.DELIVERIES].find({})]
        ids = [event_id for doc in stored for event_id in doc["event_ids"]]
        assert sorted(ids) == sorted(str(d.event.id) for d in events)
        assert len(stored) == (25 if batch_max == 1 else 3)  # 10 + 5, then the new 10
    finally:
        server.close()


async def test_what_a_dead_process_stored_for_its_sender_is_sent_by_another(
    hooks_db: AsyncDatabase[Document],
) -> None:
    """The fan-out stores deliveries leased to its own process's sender; that process
    dies before sending: once the lease lapses another process's sender leases and
    sends each, once."""
    endpoint = Endpoint()
    server = await asyncio.start_server(endpoint.serve, "127.0.0.1", 0)
    db = hooks_db
    dead = webhook_store.WebhookRepository(db)
    await dead.subscribe(subscription_to(server))
    await WebhookFanout(dead)([changed() for _ in range(6)])
    deliveries = db[webhook_store.DELIVERIES]
    assert await deliveries.count_documents({"status": "sending"}) == 6, "stored leased"
    other = webhook_store.WebhookRepository(db)
    sender = local_sender(other, per_target=2)
    running = asyncio.create_task(sender.run())
    try:
        await asyncio.sleep(1.0)
        assert endpoint.received == 0, "not while the dead process's lease lasts"
        await deliveries.update_many({}, {"$set": {"next_attempt_at": utc_now()}})  # lapsed
        other.doorbell.ring()

        async def settled() -> bool:
            return await deliveries.count_documents({"status": "delivered"}) == 6

        await eventually(settled, timeout=20, what="the lapsed deliveries sent")
        assert endpoint.received == 6
    finally:
        sender.stop()
        await running
        server.close()
