"""The SLA clock on the real broker and database: it stands still while a case is
pending on the customer, and their answer moves the due times on by the time waited."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime

import pytest
import pytest_asyncio

from case_service.settings import SlaRules, TenantCaseRules
from cc_common.events import BusinessHours
from cc_common.settings import KafkaSettings, MongoSettings
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    rules = {"acme": TenantCaseRules(sla=SlaRules(hours=BusinessHours.always()))}
    async with case_api(kafka_settings, mongo_settings, unique, tenant_rules=rules) as running:
        yield running


async def test_pending_stops_the_clock_and_the_customer_s_answer_restarts_it(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    conversation = f"chat:{address}"
    await api.publish(message("acme", conversation, [email_identity(address)], text="質問です"))
    customer = await api.customer_of("acme", f"email:{address}")
    (case,) = await api.cases_of("acme", customer["id"])
    due = datetime.fromisoformat(case["sla"]["resolution_due_at"])
    pending = await api.client.patch(
        f"/v1/cases/{case['id']}",
        json={"status": "pending"},
        headers={**api.auth("acme"), "If-Match": f'"{case["version"]}"'},
    )
    assert pending.status_code == 200, pending.text
    assert pending.json()["sla"]["paused_at"] is not None
    await asyncio.sleep(2)  # the customer takes their time
    await api.publish(message("acme", conversation, [email_identity(address)], text="回答です"))

    async def answered() -> dict[str, object] | None:
        current: dict[str, object] = await api.get(f"/v1/cases/{case['id']}", "acme")
        return current if current["status"] == "open" else None

    current = await eventually(answered, what="the case open again")
    sla = current["sla"]
    assert isinstance(sla, dict)
    assert sla["paused_at"] is None
    moved = datetime.fromisoformat(sla["resolution_due_at"])
    assert (moved - due).total_seconds() >= 2  # on by the time it stood still
