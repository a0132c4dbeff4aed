"""The five services as real processes, on the session's broker and database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from cc_common.auth import Role, issue_token
from cc_common.kafka.admin import ensure_topics
from cc_common.settings import AuthSettings
from contactcenter_cli.processes import free_port_block, free_ports
from contactcenter_cli.stack import LOAD_GENERATOR_LIMITS, Stack, StackConfig

UNLIMITED_VISITORS = {k: v for k, v in LOAD_GENERATOR_LIMITS.items() if k.startswith("CHAT_")}


@contextmanager
def running_stack(infra: StackConfig, data_dir: Path, **overrides: Any) -> Iterator[Stack]:
    """The five services with their own topics, consumer groups and databases."""
    suffix = uuid.uuid4().hex[:8]
    smtp_port, mail_sink_port = free_ports(2)
    # Load tests speak for many visitors and agents from one address and token: lift
    # the limits (test_webchat_live.py and test_hostile_http.py set their own).
    overrides["extra_env"] = {**LOAD_GENERATOR_LIMITS, **overrides.get("extra_env", {})}
    options: dict[str, Any] = {
        "base_port": free_port_block(5),
        "smtp_port": smtp_port,
        "mail_sink_port": mail_sink_port,
        "topic_suffix": f".e2e{suffix}",
        "database_prefix": f"e2e{suffix}",
        **overrides,
    }
    config = StackConfig(
        data_dir=data_dir, kafka_port=infra.kafka_port, mongo_port=infra.mongo_port, **options
    )
    asyncio.run(ensure_topics(config.kafka_settings()))
    running = Stack(config)
    try:
        running.start_services()
        yield running
    finally:
        for proc in running.services.values():
            proc.stop()


@pytest.fixture(scope="module")
def stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A running system for one test module."""
    with running_stack(infra, tmp_path_factory.mktemp("stack-data")) as running:
        yield running


def token(stack: Stack, tenant: str, *roles: Role, subject: str | None = None) -> str:
    """A bearer token signed with the stack's secret."""
    auth = AuthSettings(jwt_secret=stack.config.dev_secret())
    return issue_token(auth, subject=subject or f"{tenant}-user", tenant_id=tenant, roles=roles)


async def configure_routing(
    stack: Stack,
    tenant: str,
    *,
    queues: list[dict[str, Any]],
    agents: dict[str, dict[str, int]],
    teams: dict[str, list[str]] | None = None,
    names: dict[str, str] | None = None,
) -> None:
    """The tenant's queues and its agents' skills (and teams and names, if given), set
    by its supervisor on the router."""
    supervisor = {"Authorization": f"Bearer {token(stack, tenant, Role.SUPERVISOR)}"}
    router = stack.url("router")
    async with httpx.AsyncClient(timeout=15) as client:
        for queue in queues:
            response = await client.put(
                f"{router}/v1/queues/{queue['name']}", json=queue, headers=supervisor
            )
            assert response.status_code == 202, response.text
        for agent, skills in agents.items():
            response = await client.put(
                f"{router}/v1/agents/{agent}",
                json={
                    "agent_id": agent,
                    "skills": skills,
                    "teams": (teams or {}).get(agent, []),
                    "display_name": (names or {}).get(agent),
                },
                headers=supervisor,
            )
            assert response.status_code == 202, response.text
