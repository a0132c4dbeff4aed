"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from cc_common.kafka.admin import ensure_topics
from cc_common.settings import KafkaSettings, MongoSettings
from contactcenter_cli.processes import ManagedProcess, free_port, wait_for_port
from contactcenter_cli.stack import StackConfig, broker_process
from tests.integration.case_api import CaseApi, case_api


@pytest_asyncio.fixture
async def private_broker(tmp_path: Path) -> AsyncIterator[tuple[ManagedProcess, KafkaSettings]]:
    """A broker of the test's own, which the test may stop (outage tests)."""
    config = StackConfig(data_dir=tmp_path, kafka_port=free_port())
    broker = broker_process(config)
    broker.start()
    wait_for_port(broker, config.kafka_port, 30)
    settings = KafkaSettings(bootstrap_servers=config.bootstrap_servers, request_timeout_ms=3000)
    await ensure_topics(settings)
    yield broker, settings
    broker.stop()


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    """The case service with default settings (modules needing other rules override it)."""
    async with case_api(kafka_settings, mongo_settings, unique) as running:
        yield running
