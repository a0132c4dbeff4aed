"""Outside business hours the customer is told when we open: once per conversation
per closed period, on their channel, and it is not the case's first response."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio

from case_service.settings import SlaRules, TenantCaseRules
from cc_common.events import BusinessHours
from cc_common.settings import KafkaSettings, MongoSettings
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]
CLOSED = "ただいま営業時間外です。{opens}から順次ご対応いたします。"


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    # Open every day but today (UTC): whenever the suite runs, it is closed now.
    today = datetime.now(UTC).weekday()
    hours = BusinessHours(timezone="UTC", days=tuple(d for d in range(7) if d != today))
    rules = {"acme": TenantCaseRules(sla=SlaRules(hours=hours, closed_reply={"ja": CLOSED}))}
    async with case_api(kafka_settings, mongo_settings, unique, tenant_rules=rules) as running:
        yield running


async def test_a_customer_writing_while_closed_is_told_once_when_we_open(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    conversation = f"chat:{address}"
    for text in ("まだ届きません", "至急お願いします"):
        await api.publish(message("acme", conversation, [email_identity(address)], text=text))
    customer = await api.customer_of("acme", f"email:{address}")
    (case,) = await api.cases_of("acme", customer["id"])

    async def told() -> list[dict[str, Any]]:
        page = await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50)
        inbound = [e for e in page["items"] if e["direction"] == "inbound"]
        replies = [e for e in page["items"] if e["entry_type"] == "reply"]
        return replies if len(inbound) == 2 and replies else []

    (notice,) = await eventually(told, what="the closed-hours reply")
    assert notice["reply"]["agent_id"] == "auto-reply"
    text = notice["reply"]["content"]["text"]
    assert text.startswith("ただいま営業時間外です。")
    assert "{opens}" not in text
    # A third message in the same closed period: still one notice.
    await api.publish(message("acme", conversation, [email_identity(address)], text="三通目"))

    async def three_in() -> bool:
        page = await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50)
        return len([e for e in page["items"] if e["direction"] == "inbound"]) == 3

    await eventually(three_in, what="the third message")
    page = await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50)
    assert len([e for e in page["items"] if e["entry_type"] == "reply"]) == 1
    current = await api.get(f"/v1/cases/{case['id']}", "acme")
    assert current["first_response_at"] is None  # an auto-reply is not a response
