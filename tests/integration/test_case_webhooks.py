"""Outbound webhooks on the real broker and database, to a local receiver: signed
deliveries, retries after failures with every attempt logged, a failed delivery
redriven, secret rotation with two valid signatures, and tenant isolation."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from fastapi import FastAPI, Request, Response

from case_service.domain.webhooks import verify
from cc_common.auth import Role
from cc_common.settings import KafkaSettings, MongoSettings
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, email_identity, message, served

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


class Receiver:
    """An integrator's endpoint: records deliveries; fails while ``failing``."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.failing = False
        self.app = FastAPI()

        @self.app.post("/hooks")
        async def hook(request: Request) -> Response:
            status = 503 if self.failing else 204
            body = await request.body()
            self.received.append(
                {
                    "headers": dict(request.headers),
                    "body": body,
                    "summary": json.loads(body)["data"]["summary"],
                    "answered": status,
                }
            )
            return Response(status_code=status)


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    async with served(found.app) as url:
        yield found, f"{url}/hooks"


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    async with case_api(
        kafka_settings,
        mongo_settings,
        unique,
        webhook_allow_private_targets=True,
        webhook_first_retry_seconds=0.2,
        webhook_retry_hours=3 / 3600,  # three seconds of retries
    ) as running:
        yield running


async def note(api: CaseApi, case_id: str, text: str) -> None:
    response = await api.client.post(
        f"/v1/cases/{case_id}/notes", json={"text": text}, headers=api.auth("acme")
    )
    assert response.status_code == 201


async def test_signed_deliveries_retries_redrive_and_rotation(
    api: CaseApi, receiver: tuple[Receiver, str]
) -> None:
    endpoint, url = receiver
    integration = api.auth("acme", Role.INTEGRATION, subject="crm")
    created = await api.client.post(
        "/v1/webhooks", json={"url": url, "events": ["case.changed"]}, headers=integration
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    secret = hook["secret"]
    listed = await api.client.get("/v1/webhooks", headers=integration)
    assert "secret" not in listed.json()[0]
    assert (
        await api.client.get("/v1/webhooks", headers=api.auth("other", Role.ADMIN))
    ).json() == []
    agents = await api.client.get("/v1/webhooks", headers=api.auth("acme"))
    assert agents.status_code == 403

    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)], text="hello"))
    customer = await api.customer_of("acme", f"email:{address}")
    case_id = (await api.cases_of("acme", customer["id"]))[0]["id"]

    async def delivered(text: str) -> dict[str, Any] | None:
        """The accepted delivery of the entry with this summary."""
        return next(
            (r for r in endpoint.received if r["summary"] == text and r["answered"] == 204), None
        )

    # The customer's message itself is a case.changed; then an agent's note.
    first = await eventually(lambda: delivered("hello"), timeout=30, what="the first delivery")
    assert first["headers"]["x-cc-event-type"] == "case.changed"
    assert verify(first["headers"]["x-cc-signature"], secret, first["body"], now=int(time.time()))
    assert first["headers"]["x-cc-timestamp"] in first["headers"]["x-cc-signature"]

    # The endpoint fails: the delivery is retried, every attempt logged, then failed.
    endpoint.failing = True
    await note(api, case_id, "during the outage")
    deliveries_url = f"/v1/webhooks/{hook['id']}/deliveries"

    async def failed() -> dict[str, Any] | None:
        found = (
            await api.client.get(deliveries_url, params={"status": "failed"}, headers=integration)
        ).json()
        return found[0] if found else None

    dead = await eventually(failed, timeout=30, what="the delivery to fail")
    assert len(dead["attempts"]) >= 3
    assert {a["status_code"] for a in dead["attempts"]} == {503}
    # The endpoint is back: redrive it.
    endpoint.failing = False
    redriven = await api.client.post(
        f"/v1/webhooks/deliveries/{dead['id']}/redrive", headers=integration
    )
    assert redriven.status_code == 202
    again = await eventually(lambda: delivered("during the outage"), timeout=20, what="the redrive")
    assert verify(again["headers"]["x-cc-signature"], secret, again["body"], now=int(time.time()))

    # Rotation: the next delivery verifies with the new secret and the old one.
    rotated = await api.client.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=integration)
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != secret
    await note(api, case_id, "after rotation")
    latest = await eventually(lambda: delivered("after rotation"), timeout=20, what="a delivery")
    for valid in (new_secret, secret):
        assert verify(
            latest["headers"]["x-cc-signature"], valid, latest["body"], now=int(time.time())
        )

    removed = await api.client.delete(f"/v1/webhooks/{hook['id']}", headers=integration)
    assert removed.status_code == 204
