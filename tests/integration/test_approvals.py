"""Replies held for a supervisor's approval (承認) on the real broker and database:
the tenant's chosen agents and queues; approved, the reply goes; rejected, it fails
with the reason; each decision kept on the reply and its case."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from case_service.settings import TenantCaseRules
from cc_common.auth import Role
from cc_common.settings import KafkaSettings, MongoSettings
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    rules = {"acme": TenantCaseRules(approval_agents=["trainee"], approval_queues=["vip"])}
    async with case_api(kafka_settings, mongo_settings, unique, tenant_rules=rules) as running:
        yield running


async def a_case(api: CaseApi) -> dict[str, Any]:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)]))
    customer = await api.customer_of("acme", f"email:{address}")
    (case,) = await api.cases_of("acme", customer["id"])
    return dict(case)


async def reply(api: CaseApi, case_id: str, agent: str, text: str) -> dict[str, Any]:
    response = await api.client.post(
        f"/v1/cases/{case_id}/replies",
        json={"text": text},
        headers={**api.auth("acme", subject=agent), "Idempotency-Key": uuid.uuid4().hex},
    )
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_trainee_s_reply_waits_for_approval_and_goes_or_fails_by_decision(
    api: CaseApi,
) -> None:
    supervisor = api.auth("acme", Role.SUPERVISOR, subject="sam")
    case = await a_case(api)
    held = await reply(api, case["id"], "trainee", "First answer")
    assert held["status"] == "awaiting_approval"
    normal = await reply(api, case["id"], "ana", "Ana's answer")
    assert normal["status"] == "pending"  # not one of the chosen agents

    listed = (await api.client.get("/v1/approvals", headers=supervisor)).json()
    assert [(a["reply_id"], a["agent_id"], a["text"]) for a in listed] == [
        (str(held["reply_id"]), "trainee", "First answer")
    ]
    assert (await api.client.get("/v1/approvals", headers=api.auth("acme"))).status_code == 403
    assert (
        await api.client.get("/v1/approvals", headers=api.auth("globex", Role.SUPERVISOR))
    ).json() == []

    approved = await api.client.post(f"/v1/replies/{held['reply_id']}/approve", headers=supervisor)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "pending"
    assert approved.json()["approval"]["by"] == "sam"
    again = await api.client.post(f"/v1/replies/{held['reply_id']}/approve", headers=supervisor)
    assert again.status_code == 404  # decided once

    second = await reply(api, case["id"], "trainee", "Second answer")
    rejected = await api.client.post(
        f"/v1/replies/{second['reply_id']}/reject",
        json={"reason": "quote the order number"},
        headers=supervisor,
    )
    assert rejected.json()["status"] == "failed"
    entries = (await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50))["items"]
    by_id = {e["id"]: e for e in entries}
    assert by_id[str(second["reply_id"])]["reply"]["error"]["reason"] == (
        "rejected by sam: quote the order number"
    )
    assert by_id[str(held["reply_id"])]["reply"]["approval"]["state"] == "approved"
    assert [e["kind"] for e in entries].count("reply.approved") == 1
    assert [e["kind"] for e in entries].count("reply.rejected") == 1
    assert "held_events" not in str(entries)
    assert (await api.client.get("/v1/approvals", headers=supervisor)).json() == []


async def test_every_reply_on_a_case_in_a_chosen_queue_waits(api: CaseApi) -> None:
    case = await a_case(api)
    ana = api.auth("acme", subject="ana")
    moved = await api.client.patch(
        f"/v1/cases/{case['id']}",
        json={"queue": "vip"},
        headers={**ana, "If-Match": f'"{case["version"]}"'},
    )
    assert moved.status_code == 200, moved.text
    assert (await reply(api, case["id"], "ana", "VIP answer"))["status"] == "awaiting_approval"
