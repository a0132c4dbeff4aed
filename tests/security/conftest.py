"""The attack set runs on the real broker and database, as the integration tests do."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from cc_common.settings import KafkaSettings, MongoSettings
from tests.integration.conftest import api
from tests.integration.test_email_intake import Email, running_email

__all__ = ["api", "email"]


@pytest_asyncio.fixture
async def email(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[Email]:
    """ingest-email with the default body cap (a bomb must meet the parser's limits,
    not the size cap)."""
    async with running_email(kafka_settings, mongo_settings, unique) as running:
        yield running
