"""Satisfaction surveys on the real broker and database: solved, the customer is asked
once on the case's channel; a bare score in their reply (full-width too) rates the
case without reopening it; an opted-out customer is not asked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from case_service.settings import SurveySettings, TenantCaseRules
from cc_common.auth import Role
from cc_common.settings import KafkaSettings, MongoSettings
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    rules = {
        "acme": TenantCaseRules(survey=SurveySettings(kind="csat")),
        "npsco": TenantCaseRules(survey=SurveySettings(kind="nps")),
    }
    async with case_api(kafka_settings, mongo_settings, unique, tenant_rules=rules) as running:
        yield running


async def solved_case(
    api: CaseApi, address: str, conversation: str, tenant: str = "acme"
) -> dict[str, Any]:
    await api.publish(message(tenant, conversation, [email_identity(address)], text="help"))
    customer = await api.customer_of(tenant, f"email:{address}")
    (case,) = await api.cases_of(tenant, customer["id"])
    solved = await api.client.patch(
        f"/v1/cases/{case['id']}",
        json={"status": "solved"},
        headers={**api.auth(tenant), "If-Match": f'"{case["version"]}"'},
    )
    assert solved.status_code == 200, solved.text
    return dict(solved.json())


async def test_a_solved_case_is_surveyed_once_and_a_bare_score_rates_it(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    conversation = f"chat:{address}"
    case = await solved_case(api, address, conversation)

    async def surveyed() -> dict[str, Any] | None:
        current: dict[str, Any] = await api.get(f"/v1/cases/{case['id']}", "acme")
        return current if current.get("survey") else None

    current = await eventually(surveyed, what="the survey sent")
    entries = (await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50))["items"]
    asked = [e for e in entries if e["entry_type"] == "reply"]
    assert len(asked) == 1
    assert asked[0]["reply"]["agent_id"] == "survey"
    assert "1（不満）〜5（満足）" in asked[0]["reply"]["content"]["text"]

    await api.publish(message("acme", conversation, [email_identity(address)], text="５"))  # noqa: RUF001

    async def rated() -> dict[str, Any] | None:
        now: dict[str, Any] = await api.get(f"/v1/cases/{case['id']}", "acme")
        return now if now.get("csat") else None

    rating = await eventually(rated, what="the answer rated")
    assert rating["csat"]["score"] == 5
    assert rating["status"] == "solved"  # the answer did not reopen it
    assert rating["survey"]["score"] == 5
    assert rating["survey"]["answered_at"]
    # Saying something else afterwards is a message: the case reopens as usual.
    await api.publish(message("acme", conversation, [email_identity(address)], text="また質問です"))

    async def reopened() -> bool:
        now = await api.get(f"/v1/cases/{case['id']}", "acme")
        return bool(now["status"] == "open")

    await eventually(reopened, what="the case reopened by a real message")
    assert current["survey"]["kind"] == "csat"


async def test_a_customer_who_opted_out_is_not_asked(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    await api.publish(message("acme", f"mail:{address}", [email_identity(address)], text="hi"))
    customer = await api.customer_of("acme", f"email:{address}")
    opted = await api.client.patch(
        f"/v1/customers/{customer['id']}",
        json={"consent": {"surveys": False}},
        headers={**api.auth("acme"), "If-Match": f'"{customer["version"]}"'},
    )
    assert opted.status_code == 200, opted.text
    (case,) = await api.cases_of("acme", customer["id"])
    solved = await api.client.patch(
        f"/v1/cases/{case['id']}",
        json={"status": "solved"},
        headers={**api.auth("acme"), "If-Match": f'"{case["version"]}"'},
    )
    assert solved.status_code == 200, solved.text
    # A later case of another customer is surveyed: by then this one would have been.
    await solved_case(api, f"{uuid.uuid4().hex[:8]}@example.jp", f"chat:{uuid.uuid4().hex}")

    async def others_surveyed() -> bool:
        listed = await api.get("/v1/search", "acme", q="不満", scope="messages")
        return bool(listed["hits"])

    await eventually(others_surveyed, what="the other customer's survey")
    current = await api.get(f"/v1/cases/{case['id']}", "acme")
    assert current["survey"] is None
    entries = (await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50))["items"]
    assert not [e for e in entries if e["entry_type"] == "reply"]


async def test_an_nps_answer_is_kept_on_the_case_and_counted(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    conversation = f"chat:{address}"
    case = await solved_case(api, address, conversation, tenant="npsco")

    async def surveyed() -> bool:
        return bool((await api.get(f"/v1/cases/{case['id']}", "npsco")).get("survey"))

    await eventually(surveyed, what="the NPS question sent")
    await api.publish(message("npsco", conversation, [email_identity(address)], text="９"))  # noqa: RUF001

    async def answered() -> dict[str, Any] | None:
        current: dict[str, Any] = await api.get(f"/v1/cases/{case['id']}", "npsco")
        return current if current["survey"].get("score") is not None else None

    current = await eventually(answered, what="the NPS answer")
    assert current["survey"]["score"] == 9
    assert current["csat"] is None  # NPS is not a CSAT rating
    now = datetime.now(UTC)
    period = {
        "from": (now - timedelta(hours=1)).isoformat(),
        "to": (now + timedelta(hours=1)).isoformat(),
    }
    supervisor = api.auth("npsco", Role.SUPERVISOR)
    figures = (await api.client.get("/v1/kpis", params=period, headers=supervisor)).json()
    assert (figures["cases"]["nps_responses"], figures["cases"]["nps"]) == (1, 100.0)
