"""The five services as real processes, on the session's broker and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from cc_common.auth import Role, issue_token
from cc_common.kafka.admin import ensure_topics
from cc_common.settings import AuthSettings
from contactcenter_cli.processes import free_port_block
from contactcenter_cli.stack import Stack, StackConfig


@pytest.fixture(scope="module")
def stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A running system with its own topics, consumer groups and databases."""
    suffix = uuid.uuid4().hex[:8]
    config = StackConfig(
        data_dir=tmp_path_factory.mktemp("stack-data"),
        kafka_port=infra.kafka_port,
        mongo_port=infra.mongo_port,
        base_port=free_port_block(5),
        topic_suffix=f".e2e{suffix}",
        database_prefix=f"e2e{suffix}",
    )
    asyncio.run(ensure_topics(config.kafka_settings()))
    running = Stack(config)
    try:
        running.start_services()
        yield running
    finally:
        for proc in running.services.values():
            proc.stop()


def token(stack: Stack, tenant: str, *roles: Role, subject: str | None = None) -> str:
    """A bearer token signed with the stack's secret."""
    auth = AuthSettings(jwt_secret=stack.config.dev_secret())
    return issue_token(auth, subject=subject or f"{tenant}-user", tenant_id=tenant, roles=roles)
