"""The case service in-process, served over loopback HTTP by uvicorn, on the real broker
and database; helpers to publish interactions as an ingest service would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from case_service.main import create_app
from case_service.settings import CaseSettings
from cc_common.auth import Role, issue_token
from cc_common.events import (
    INTERACTION_RECEIVED,
    Channel,
    Content,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    Party,
    PartyRole,
    utc_now,
)
from cc_common.kafka.producer import EventProducer
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.topics import INTERACTIONS
from contactcenter_cli.processes import free_port
from tests.e2e.helpers import eventually


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port (lifespan included); yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # startup failed: raise its error
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class CaseApi:
    """A running case service and an HTTP client with tokens per tenant and role."""

    def __init__(self, settings: CaseSettings, client: httpx.AsyncClient, producer: EventProducer):
        self.settings = settings
        self.client = client
        self.producer = producer

    def auth(self, tenant: str, *roles: Role, subject: str = "agent-1") -> dict[str, str]:
        token = issue_token(
            self.settings.auth,
            subject=subject,
            tenant_id=tenant,
            roles=roles or (Role.AGENT,),
        )
        return {"Authorization": f"Bearer {token}"}

    async def publish(self, event: Envelope[Any]) -> None:
        await self.producer.publish(INTERACTIONS.name, event)

    async def get(self, path: str, tenant: str, **params: Any) -> Any:
        response = await self.client.get(path, headers=self.auth(tenant), params=params)
        assert response.status_code == 200, response.text
        return response.json()

    async def customer_of(self, tenant: str, identity: str) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            found: list[dict[str, Any]] = await self.get("/v1/customers", tenant, identity=identity)
            return found[0] if found else None

        return await eventually(probe, timeout=20, what=f"customer {identity}")

    async def cases_of(self, tenant: str, customer_id: str) -> list[dict[str, Any]]:
        """The customer's cases once there is one (the case is stored a moment after the
        customer: the consumer writes the customer, then the conversation and case)."""

        async def probe() -> list[dict[str, Any]] | None:
            cases: list[dict[str, Any]] = await self.get(
                f"/v1/customers/{customer_id}/cases", tenant
            )
            return cases or None

        return await eventually(probe, timeout=20, what=f"a case of customer {customer_id}")

    async def timeline(
        self, tenant: str, customer_id: str, *, until: int, **params: Any
    ) -> list[dict[str, Any]]:
        """The customer's timeline once it holds at least ``until`` entries."""

        async def probe() -> list[dict[str, Any]] | None:
            page = await self.get(
                f"/v1/customers/{customer_id}/timeline", tenant, limit=200, **params
            )
            items: list[dict[str, Any]] = page["items"]
            return items if len(items) >= until else None

        return await eventually(probe, timeout=20, what=f"{until} timeline entries")


def message(
    tenant: str,
    conversation_key: str,
    identities: Sequence[Identity],
    *,
    text: str = "hello",
    channel: Channel = Channel.WEBCHAT,
    at: datetime | None = None,
    subject: str | None = None,
    direction: Direction = Direction.INBOUND,
    name: str | None = None,
) -> Envelope[Interaction]:
    """An ``interaction.received`` message as an ingest service publishes it."""
    return Envelope[Interaction](
        id=uuid.uuid4(),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant,
        occurred_at=at or utc_now(),
        source="test",
        correlation_id=conversation_key,
        data=Interaction(
            channel=channel,
            direction=direction,
            provider="test",
            conversation_key=conversation_key,
            provider_message_id=uuid.uuid4().hex,
            parties=(
                Party(role=PartyRole.CUSTOMER, identities=tuple(identities), display_name=name),
            ),
            content=Content(text=text, subject=subject),
        ),
    )


def email_identity(address: str, *, verified: bool = True) -> Identity:
    return Identity(kind=IdentityKind.EMAIL, value=address, verified=verified)


def identity(kind: IdentityKind, value: str, *, verified: bool = True) -> Identity:
    return Identity(kind=kind, value=value, verified=verified)


@asynccontextmanager
async def case_api(
    kafka: KafkaSettings, mongo: MongoSettings, unique: str, **overrides: Any
) -> AsyncIterator[CaseApi]:
    """Run the case service (own database and consumer group) and yield a client for it."""
    settings = CaseSettings(
        kafka=kafka,
        mongo=mongo,
        database=f"case{unique}",
        consumer_group=f"case{unique}",
        **overrides,
    )
    producer = EventProducer(settings.kafka)
    await producer.start()
    try:
        async with (
            served(create_app(settings)) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=10) as client,
        ):
            yield CaseApi(settings, client, producer)
    finally:
        await producer.stop()
