"""What the agent desk needs beyond the case API's basics: WhatsApp's approved
templates (listed, and a reply's template checked against them; the 24-hour window
told by the case's ``last_inbound_at``) and per-agent unread counts."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio

from case_service.settings import ReplyTemplateSpec, TenantCaseRules
from cc_common.auth import Role
from cc_common.events import Channel, IdentityKind, utc_now
from cc_common.settings import KafkaSettings, MongoSettings
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

ORDER_SHIPPED = ReplyTemplateSpec(
    name="order_shipped", language="ja", parameters=2, text="{{1}}様、ご注文{{2}}を発送しました。"
)


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    rules = {"acme": TenantCaseRules(reply_templates=[ORDER_SHIPPED])}
    async with case_api(kafka_settings, mongo_settings, unique, tenant_rules=rules) as running:
        yield running


async def a_whatsapp_case(api: CaseApi, *, hours_ago: float) -> dict[str, object]:
    number = f"+8190{uuid.uuid4().int % 10**8:08d}"
    wa = identity(IdentityKind.WHATSAPP_ID, number.lstrip("+"))
    at = utc_now() - timedelta(hours=hours_ago)
    await api.publish(
        message(
            "acme", f"whatsapp:{number}", [wa], text="注文は？", channel=Channel.WHATSAPP, at=at
        )
    )
    customer = await api.customer_of("acme", f"whatsapp_id:{number.lstrip('+')}")
    (case,) = await api.cases_of("acme", customer["id"])
    return dict(case)


async def test_outside_the_window_only_a_listed_template_with_its_parameters_goes(
    api: CaseApi,
) -> None:
    listed = await api.client.get("/v1/reply-templates", headers=api.auth("acme"))
    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {
            "channel": "whatsapp",
            "name": "order_shipped",
            "language": "ja",
            "parameters": 2,
            "text": "{{1}}様、ご注文{{2}}を発送しました。",
        }
    ]
    other = await api.client.get("/v1/reply-templates", headers=api.auth("globex"))
    assert other.json() == []

    case = await a_whatsapp_case(api, hours_ago=30)
    assert case["last_inbound_at"] is not None  # the desk tells the window from it

    async def reply(**body: object) -> tuple[int, str]:
        response = await api.client.post(
            f"/v1/cases/{case['id']}/replies",
            json={"text": "発送しました", **body},
            headers={**api.auth("acme"), "Idempotency-Key": uuid.uuid4().hex},
        )
        return response.status_code, response.text

    status, text = await reply()
    assert status == 422
    assert "24 hours" in text
    status, text = await reply(template={"name": "welcome", "language": "ja"})
    assert status == 422
    assert "not one of this tenant's approved templates" in text
    one = {"name": "order_shipped", "language": "ja", "parameters": ["佐藤"]}
    status, text = await reply(template=one)
    assert status == 422
    assert "takes 2 parameter(s), not 1" in text
    both = {**one, "parameters": ["佐藤", "A-100"]}
    status, text = await reply(template=both)
    assert status == 202, text


async def test_unread_counts_are_the_customers_messages_since_the_agent_last_read(
    api: CaseApi,
) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    email = identity(IdentityKind.EMAIL, address)
    conversation = f"chat:{address}"
    await api.publish(message("acme", conversation, [email], text="one"))
    customer = await api.customer_of("acme", f"email:{address}")
    (case,) = await api.cases_of("acme", customer["id"])
    emi, ken = api.auth("acme", Role.AGENT, subject="emi"), api.auth("acme", subject="ken")

    async def unread(who: dict[str, str], *case_ids: str) -> dict[str, int]:
        response = await api.client.get(
            "/v1/unread", params=[("case_id", c) for c in case_ids], headers=who
        )
        assert response.status_code == 200, response.text
        counts: dict[str, int] = response.json()["cases"]
        return counts

    latest = await api.client.get("/v1/unread", params={"case_id": case["id"]}, headers=emi)
    assert set(latest.json()["last_activity_at"]) == {case["id"]}
    foreign = await api.client.get(
        "/v1/unread", params={"case_id": case["id"]}, headers=api.auth("globex")
    )
    assert foreign.json()["last_activity_at"] == {}

    assert await unread(emi, case["id"]) == {case["id"]: 1}  # never opened: all of it
    marked = await api.client.put(f"/v1/cases/{case['id']}/read", headers=emi)
    assert marked.status_code == 204, marked.text
    assert await unread(emi, case["id"]) == {case["id"]: 0}

    for text in ("two", "three"):
        await api.publish(message("acme", conversation, [email], text=text))

    async def two_new() -> bool:
        return await unread(emi, case["id"]) == {case["id"]: 2}

    await eventually(two_new, what="two messages unread")
    assert await unread(ken, case["id"]) == {case["id"]: 3}  # each agent has their own
    # Another tenant's agent learns nothing of the case, nor can mark it.
    assert await unread(api.auth("globex"), case["id"]) == {case["id"]: 0}
    refused = await api.client.put(f"/v1/cases/{case['id']}/read", headers=api.auth("globex"))
    assert refused.status_code == 404
    too_many = await api.client.get(
        "/v1/unread", params=[("case_id", str(n)) for n in range(51)], headers=emi
    )
    assert too_many.status_code == 422


async def test_a_reply_while_a_colleague_drafts_needs_a_takeover(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    email = identity(IdentityKind.EMAIL, address)
    await api.publish(message("acme", f"chat:{address}", [email], text="hello"))
    customer = await api.customer_of("acme", f"email:{address}")
    (case,) = await api.cases_of("acme", customer["id"])
    ana, bo = api.auth("acme", subject="ana"), api.auth("acme", subject="bo")
    path = f"/v1/cases/{case['id']}"

    drafting = await api.client.put(f"{path}/presence", json={"state": "drafting"}, headers=ana)
    assert drafting.status_code == 204, drafting.text
    await api.client.put(f"{path}/presence", json={"state": "viewing"}, headers=bo)
    holders = (await api.client.get(f"{path}/presence", headers=bo)).json()
    assert {(h["agent_id"], h["state"]) for h in holders} == {
        ("ana", "drafting"),
        ("bo", "viewing"),
    }

    async def reply(**extra: object) -> tuple[int, dict[str, object]]:
        response = await api.client.post(
            f"{path}/replies",
            json={"text": "I can help", **extra},
            headers={**bo, "Idempotency-Key": uuid.uuid4().hex},
        )
        return response.status_code, response.json()

    status, problem = await reply()
    assert status == 409
    assert problem["holders"] == ["ana"]
    assert "ana is drafting" in str(problem["detail"])
    status, _ = await reply(takeover=True)
    assert status == 202
    holders = (await api.client.get(f"{path}/presence", headers=bo)).json()
    assert [h["agent_id"] for h in holders] == ["bo"]  # ana's draft was taken over
    # Ana's own replies are never held up by her own draft; leaving clears her hold.
    await api.client.put(f"{path}/presence", json={"state": "drafting"}, headers=ana)
    mine = await api.client.post(
        f"{path}/replies", json={"text": "mine"}, headers={**ana, "Idempotency-Key": "a1"}
    )
    assert mine.status_code == 202, mine.text
    await api.client.put(f"{path}/presence", json={"state": "left"}, headers=ana)
    holders = (await api.client.get(f"{path}/presence", headers=bo)).json()
    assert [h["agent_id"] for h in holders] == ["bo"]
    foreign = await api.client.put(
        f"{path}/presence", json={"state": "viewing"}, headers=api.auth("globex")
    )
    assert foreign.status_code == 404
