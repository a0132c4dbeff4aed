"""Macros (定型文) on the real broker and database: who keeps which, variables filled
for the case, and applying one: its reply and case changes as one recorded change,
counted once however often it is retried, nothing sent when a change is refused."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from cc_common.auth import Role
from cc_common.settings import KafkaSettings, MongoSettings
from tests.integration.case_api import CaseApi, case_api, email_identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

APOLOGY = {
    "title": "配送遅延のお詫び",
    "scope": "tenant",
    "language": "ja",
    "text": "{{customer.salutation}}、ご注文{{case.custom_fields.order_number|}}の"
    "お届けが遅れており申し訳ございません。担当の{{agent.name}}です（{{case.number}}）。",
    "actions": {"status": "pending", "add_tags": ["delay"], "assignee_id": "me"},
}


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    async with case_api(kafka_settings, mongo_settings, unique) as running:
        yield running


async def a_case(api: CaseApi, name: str) -> dict[str, Any]:
    address = f"{uuid.uuid4().hex[:8]}@example.jp"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)], name=name))
    customer = await api.customer_of("acme", f"email:{address}")
    (case,) = await api.cases_of("acme", customer["id"])
    return dict(case)


async def test_who_keeps_which_macro_and_who_is_offered_it(api: CaseApi) -> None:
    ana, bo = api.auth("acme", subject="ana"), api.auth("acme", subject="bo")
    supervisor = api.auth("acme", Role.SUPERVISOR, subject="sam")
    refused = await api.client.post("/v1/macros", json=APOLOGY, headers=ana)
    assert refused.status_code == 403, refused.text
    tenant_wide = await api.client.post("/v1/macros", json=APOLOGY, headers=supervisor)
    assert tenant_wide.status_code == 201, tenant_wide.text
    own = {"title": "挨拶", "scope": "agent", "text": "{{customer.name|お客様}}、こんにちは"}
    mine = await api.client.post("/v1/macros", json=own, headers=ana)
    assert mine.status_code == 201, mine.text
    assert mine.json()["owner"] == "ana"
    typo = await api.client.post(
        "/v1/macros", json={**own, "text": "{{custmer.name}}"}, headers=ana
    )
    assert typo.status_code == 422
    assert "custmer.name" in typo.json()["detail"]
    empty = await api.client.post("/v1/macros", json={"title": "x", "scope": "agent"}, headers=ana)
    assert empty.status_code == 422

    async def titles(who: dict[str, str]) -> list[str]:
        listed = await api.client.get("/v1/macros", headers=who)
        assert listed.status_code == 200, listed.text
        return sorted(m["title"] for m in listed.json())

    assert await titles(ana) == ["挨拶", "配送遅延のお詫び"]
    assert await titles(bo) == ["配送遅延のお詫び"]  # not ana's own
    assert await titles(api.auth("globex", subject="ana")) == []
    # Ana may not change the tenant's macro; bo may not even see ana's.
    changed = {**APOLOGY, "title": "changed"}
    path = f"/v1/macros/{tenant_wide.json()['id']}"
    assert (await api.client.put(path, json=changed, headers=ana)).status_code == 403
    assert (
        await api.client.delete(f"/v1/macros/{mine.json()['id']}", headers=bo)
    ).status_code == 404
    replaced = await api.client.put(path, json=changed, headers=supervisor)
    assert (replaced.status_code, replaced.json()["version"]) == (200, 2)
    assert (
        await api.client.delete(f"/v1/macros/{mine.json()['id']}", headers=ana)
    ).status_code == 204
    assert await titles(ana) == ["changed"]


async def test_applying_a_macro_replies_and_changes_the_case_as_one_change_once(
    api: CaseApi,
) -> None:
    supervisor = api.auth("acme", Role.SUPERVISOR, subject="sam")
    macro = (await api.client.post("/v1/macros", json=APOLOGY, headers=supervisor)).json()
    case = await a_case(api, "山田花子")
    ana = api.auth("acme", subject="ana")
    await api.client.patch(
        f"/v1/cases/{case['id']}",
        json={"custom_fields": {"order_number": "A-100"}},
        headers={**ana, "If-Match": f'"{case["version"]}"'},
    )
    # The customer's language is not known: the Japanese macro addresses them with 様.
    preview = await api.client.post(
        f"/v1/cases/{case['id']}/macros/{macro['id']}/preview", headers=ana
    )
    assert preview.status_code == 200, preview.text
    number = case["id"].replace("-", "")[:8].upper()
    expected = (
        "山田花子様、ご注文A-100のお届けが遅れており申し訳ございません。"
        f"担当のanaです（{number}）。"
    )
    assert preview.json()["text"] == expected

    key = {"Idempotency-Key": "apology-1"}
    applied = None
    for _ in range(2):  # a retry with the same key changes nothing more
        applied = await api.client.post(
            f"/v1/cases/{case['id']}/macros/{macro['id']}/apply", json={}, headers={**ana, **key}
        )
        assert applied.status_code == 200, applied.text
    assert applied is not None
    outcome = applied.json()
    assert outcome["text"] == expected
    assert outcome["reply_status"] == "pending"
    assert outcome["case"]["status"] == "pending"
    assert outcome["case"]["assignee_id"] == "ana"
    assert outcome["case"]["tags"] == ["delay"]

    entries = (await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50))["items"]
    replies = [e for e in entries if e["entry_type"] == "reply"]
    assert [r["reply"]["content"]["text"] for r in replies] == [expected]
    recorded = [e for e in entries if e["kind"] == "case.macro"]
    assert len(recorded) == 1
    change = recorded[0]["case_change"]
    assert change["macro_title"] == "配送遅延のお詫び"
    assert change["reply_id"] == outcome["reply_id"]
    assert set(change["changes"]) == {"status", "tags", "assignee_id"}
    listed = (await api.client.get("/v1/macros", headers=ana)).json()
    assert [m["usage_count"] for m in listed if m["id"] == macro["id"]] == [1]


async def test_a_macro_whose_change_is_refused_sends_nothing(api: CaseApi) -> None:
    supervisor = api.auth("acme", Role.SUPERVISOR, subject="sam")
    closing = {**APOLOGY, "title": "close", "actions": {"status": "closed"}}
    macro = (await api.client.post("/v1/macros", json=closing, headers=supervisor)).json()
    case = await a_case(api, "Ken")
    ana = api.auth("acme", subject="ana")
    refused = await api.client.post(
        f"/v1/cases/{case['id']}/macros/{macro['id']}/apply", json={}, headers=ana
    )
    assert refused.status_code == 422, refused.text
    assert "cannot become closed" in refused.json()["detail"]
    entries = (await api.get(f"/v1/cases/{case['id']}/timeline", "acme", limit=50))["items"]
    assert not [e for e in entries if e["entry_type"] == "reply" or e["kind"] == "case.macro"]
    foreign = await api.client.post(
        f"/v1/cases/{case['id']}/macros/{macro['id']}/apply",
        json={},
        headers=api.auth("globex", subject="ana"),
    )
    assert foreign.status_code == 404
