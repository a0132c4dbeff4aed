"""The router's worker when announcing fails after the engine changed: the runner
delivers the batch again, and the routing events the first try could not publish are
published then, not dropped (real broker and database)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from cc_common.events import RoutingChange, TaskState
from cc_common.kafka.admin import ensure_topics
from cc_common.kafka.consumer import Delivery
from cc_common.kafka.inspect import read_events
from cc_common.kafka.producer import BrokerUnavailable, EventProducer
from cc_common.mongo import Document, make_mongo_client
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.topics import INTERACTIONS, ROUTING
from contactcenter_cli.processes import ManagedProcess, wait_for_port
from router_service.adapters.state_store import StateStore
from router_service.consumers.worker import RouterWorker
from tests.integration.case_api import email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture
async def client(mongo_settings: MongoSettings) -> AsyncIterator[AsyncMongoClient[Document]]:
    mongo = make_mongo_client(mongo_settings, app_name="router-worker-test")
    yield mongo
    await mongo.close()


async def test_events_the_broker_did_not_take_are_announced_when_the_batch_comes_again(
    private_broker: tuple[ManagedProcess, KafkaSettings],
    client: AsyncMongoClient[Document],
    unique: str,
) -> None:
    broker, kafka = private_broker
    producer = EventProducer(kafka)
    await producer.start()
    worker = RouterWorker(store=StateStore(client[f"router{unique}"]), producer=producer)
    event = message("acme", "chat:lost-announcement", [email_identity("lena@example.org")])
    delivery = Delivery(INTERACTIONS.name, 0, 0, None, b"", [], event)
    try:
        broker.stop()
        with pytest.raises(BrokerUnavailable):
            await worker.handle_group([delivery])
        broker.start()
        wait_for_port(broker, int(kafka.bootstrap_servers.rsplit(":", 1)[1]), 30)
        await ensure_topics(kafka)  # the embedded broker keeps nothing across a restart
        assert await worker.handle_group([delivery]) == []  # the runner's retry
        changes = [
            e.data
            for e in await read_events(kafka, ROUTING.name)
            if isinstance(e.data, RoutingChange)
            and e.data.conversation_key == "chat:lost-announcement"
        ]
        assert [c.state for c in changes] == [TaskState.QUEUED]
    finally:
        await producer.stop()
