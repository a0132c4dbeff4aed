"""Session fixtures: a real Kafka-protocol broker (Tansu) and a real MongoDB-protocol
server (SecantusDB), started once on free ports; each test isolates itself with its
own topic suffix, consumer groups and database names."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from cc_common.kafka.admin import ensure_topics
from cc_common.kafka.producer import EventProducer
from cc_common.mongo import Document
from cc_common.settings import KafkaSettings, MongoSettings
from contactcenter_cli.processes import free_ports, wait_for_port
from contactcenter_cli.stack import StackConfig, broker_process, database_process


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackConfig]:
    """Tansu and SecantusDB, running for the whole test session."""
    kafka_port, mongo_port = free_ports(2)
    config = StackConfig(
        data_dir=tmp_path_factory.mktemp("infra"),
        kafka_port=kafka_port,
        mongo_port=mongo_port,
    )
    broker = broker_process(config)
    database = database_process(config)
    broker.start()
    database.start()
    try:
        wait_for_port(broker, config.kafka_port, 30)
        wait_for_port(database, config.mongo_port, 30)
        yield config
    finally:
        broker.stop()
        database.stop()


@pytest.fixture
def unique() -> str:
    """A short id that isolates one test's topics, groups and databases."""
    return uuid.uuid4().hex[:10]


@pytest_asyncio.fixture
async def kafka_settings(infra: StackConfig, unique: str) -> KafkaSettings:
    """Settings pointing at this test's own copy of every topic."""
    settings = infra.kafka_settings().model_copy(update={"topic_suffix": f".t{unique}"})
    await ensure_topics(settings)
    return settings


@pytest_asyncio.fixture
async def producer(kafka_settings: KafkaSettings) -> AsyncIterator[EventProducer]:
    producer = EventProducer(kafka_settings)
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def mongo_settings(infra: StackConfig) -> MongoSettings:
    return MongoSettings(url=infra.mongo_url)


@pytest_asyncio.fixture
async def mongo(mongo_settings: MongoSettings) -> AsyncIterator[AsyncMongoClient[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        mongo_settings.url.get_secret_value(), tz_aware=True
    )
    yield client
    await client.close()
