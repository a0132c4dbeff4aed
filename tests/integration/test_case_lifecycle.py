"""Cases through the HTTP API, on the real broker and database: status moves with
If-Match, reopen inside the window and a new case after it, pending answered by the
customer, notes with mentions, CSAT, and the case timeline with its filters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from case_service.settings import SlaRules, TenantCaseRules
from cc_common.auth import Role
from cc_common.events import (
    CASE_SLA_BREACHED,
    BusinessHours,
    Channel,
    OutboundRequested,
    utc_now,
)
from cc_common.events.replies import reply_sent
from cc_common.kafka.inspect import read_events
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.topics import CASES, OUTBOUND
from ingest_chat.domain.webchat import VisitorConversation, visitor_read
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, email_identity, message

ALWAYS_OPEN = BusinessHours.always()

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


@pytest_asyncio.fixture
async def api(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[CaseApi]:
    async with case_api(
        kafka_settings,
        mongo_settings,
        unique,
        tenant_rules={
            "brief": TenantCaseRules(reopen_window_hours=1),
            "always": TenantCaseRules(sla=SlaRules(hours=ALWAYS_OPEN)),
        },
        sla_check_seconds=0.2,
    ) as running:
        yield running


async def first_case(api: CaseApi, tenant: str, address: str) -> dict[str, Any]:
    customer = await api.customer_of(tenant, f"email:{address}")
    cases = await api.cases_of(tenant, customer["id"])
    return cases[0]


async def edit(
    api: CaseApi, tenant: str, case_id: str, body: dict[str, Any], etag: str | None
) -> Any:
    headers = api.auth(tenant)
    if etag is not None:
        headers["If-Match"] = etag
    return await api.client.patch(f"/v1/cases/{case_id}", json=body, headers=headers)


async def read(api: CaseApi, tenant: str, case_id: str) -> tuple[dict[str, Any], str]:
    response = await api.client.get(f"/v1/cases/{case_id}", headers=api.auth(tenant))
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


async def test_two_agents_editing_one_case_cannot_overwrite_each_other(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)]))
    case = await first_case(api, "acme", address)
    assert case["status"] == "new"
    _, etag = await read(api, "acme", case["id"])

    first = await edit(api, "acme", case["id"], {"priority": "high", "tags": ["vip"]}, etag)
    assert first.status_code == 200, first.text
    assert first.json()["priority"] == "high"
    assert first.headers["ETag"] != etag
    stale = await edit(api, "acme", case["id"], {"priority": "low"}, etag)
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    missing = await edit(api, "acme", case["id"], {"priority": "low"}, None)
    assert missing.status_code == 428
    refused = await edit(api, "acme", case["id"], {"status": "closed"}, first.headers["ETag"])
    assert refused.status_code == 422
    assert "cannot become closed" in refused.json()["detail"]
    unknown = await edit(api, "acme", case["id"], {"colour": "red"}, first.headers["ETag"])
    assert unknown.status_code == 422

    current, _ = await read(api, "acme", case["id"])
    assert (current["priority"], current["tags"]) == ("high", ["vip"])
    changes = await api.get(f"/v1/cases/{case['id']}/timeline", "acme", kind="case.")
    assert [e["kind"] for e in changes["items"]] == ["case.updated"]
    assert changes["items"][0]["case_change"]["changes"]["priority"] == ["normal", "high"]
    assert changes["items"][0]["case_change"]["actor"] == "agent-1"


async def test_the_customer_writing_after_solve_reopens_within_the_window(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    conversation = f"chat:{address}"
    await api.publish(message("acme", conversation, [email_identity(address)], text="broken"))
    case = await first_case(api, "acme", address)
    _, etag = await read(api, "acme", case["id"])
    solved = await edit(api, "acme", case["id"], {"status": "solved"}, etag)
    assert solved.status_code == 200, solved.text
    assert solved.json()["solved_at"] is not None

    await api.publish(message("acme", conversation, [email_identity(address)], text="still broken"))

    async def reopened() -> dict[str, Any] | None:
        current, _ = await read(api, "acme", case["id"])
        return current if current["status"] == "open" else None

    current = await eventually(reopened, timeout=20, what="the case reopened")
    assert current["reopen_count"] == 1
    assert current["reopened_at"] is not None
    entries = await api.timeline("acme", case["customer_id"], until=4)
    kinds = [e["kind"] for e in entries]
    assert kinds.count("message") == 2
    assert "case.solved" in kinds
    assert "case.reopen" in kinds
    assert {e["case_id"] for e in entries} == {case["id"]}


async def test_after_the_window_the_customer_starts_a_new_case(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    conversation = f"chat:{address}"
    earlier = utc_now() - timedelta(hours=3)
    await api.publish(message("brief", conversation, [email_identity(address)], at=earlier))
    case = await first_case(api, "brief", address)
    _, etag = await read(api, "brief", case["id"])
    assert (await edit(api, "brief", case["id"], {"status": "solved"}, etag)).status_code == 200
    # The brief tenant's window is one hour: two hours after solving, it is a new matter.
    later = utc_now() + timedelta(hours=2)
    await api.publish(
        message("brief", conversation, [email_identity(address)], text="new issue", at=later)
    )

    async def two_cases() -> list[dict[str, Any]] | None:
        cases: list[dict[str, Any]] = await api.get(
            f"/v1/customers/{case['customer_id']}/cases", "brief"
        )
        return cases if len(cases) == 2 else None

    newest, oldest = await eventually(two_cases, timeout=20, what="a second case")
    assert oldest["id"] == case["id"]
    assert oldest["status"] == "closed"
    assert newest["status"] == "new"
    assert newest["follows_case_id"] == case["id"]
    assert newest["conversation_key"] == conversation
    on_new = await api.get(f"/v1/cases/{newest['id']}/timeline", "brief")
    assert [e["kind"] for e in on_new["items"]] == ["message", "case.new_case"]
    assert on_new["items"][0]["summary"] == "new issue"


async def test_a_pending_case_opens_when_the_customer_answers(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    conversation = f"mail:{address}"
    await api.publish(
        message("acme", conversation, [email_identity(address)], channel=Channel.EMAIL)
    )
    case = await first_case(api, "acme", address)
    _, etag = await read(api, "acme", case["id"])
    assert (await edit(api, "acme", case["id"], {"status": "pending"}, etag)).status_code == 200
    await api.publish(
        message("acme", conversation, [email_identity(address)], channel=Channel.EMAIL)
    )

    async def answered() -> bool:
        current, _ = await read(api, "acme", case["id"])
        return bool(current["status"] == "open")

    await eventually(answered, timeout=20, what="the pending case open again")


async def test_notes_mentions_and_csat_land_on_the_case_timeline(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"chat:{address}", [email_identity(address)]))
    case = await first_case(api, "acme", address)

    note = await api.client.post(
        f"/v1/cases/{case['id']}/notes",
        json={"text": "@ana.sato can you check the refund? cc @lead-2"},
        headers=api.auth("acme", subject="agent-7"),
    )
    assert note.status_code == 201, note.text
    assert note.json()["note"]["mentions"] == ["ana.sato", "lead-2"]
    survey = api.auth("acme", Role.INTEGRATION, subject="survey-bot")
    rated = await api.client.put(
        f"/v1/cases/{case['id']}/csat", json={"score": 4, "comment": "quick"}, headers=survey
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["csat"]["score"] == 4
    bad = await api.client.put(f"/v1/cases/{case['id']}/csat", json={"score": 6}, headers=survey)
    assert bad.status_code == 422
    # The survey integration may rate, not write notes.
    forbidden = await api.client.post(
        f"/v1/cases/{case['id']}/notes", json={"text": "x"}, headers=survey
    )
    assert forbidden.status_code == 403

    notes = await api.get(f"/v1/cases/{case['id']}/timeline", "acme", kind="note")
    assert [e["note"]["author"] for e in notes["items"]] == ["agent-7"]
    everything = await api.get(f"/v1/cases/{case['id']}/timeline", "acme")
    assert [e["kind"] for e in everything["items"]] == ["case.csat", "note", "message"]
    # Another tenant sees none of it.
    other = await api.client.get(f"/v1/cases/{case['id']}/timeline", headers=api.auth("other"))
    assert other.status_code == 404


async def test_a_missed_first_response_is_a_breach_on_the_case_and_an_event(
    api: CaseApi,
) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    opened = utc_now() - timedelta(hours=2)
    await api.publish(message("always", f"chat:{address}", [email_identity(address)], at=opened))
    case = await first_case(api, "always", address)
    # Normal priority: a first response is due in four hours; not missed yet.
    assert "first_response_breached_at" not in case["sla"]
    due = datetime_of(case["sla"]["first_response_due_at"])
    assert abs((due - opened) - timedelta(hours=4)) < timedelta(seconds=1)
    # Urgent: due thirty minutes after opening, an hour and a half ago.
    _, etag = await read(api, "always", case["id"])
    urgent = await edit(api, "always", case["id"], {"priority": "urgent"}, etag)
    assert urgent.status_code == 200, urgent.text

    async def breached() -> dict[str, Any] | None:
        current, _ = await read(api, "always", case["id"])
        return current if current["sla"].get("first_response_breached_at") else None

    current = await eventually(breached, timeout=20, what="the breach recorded")
    breached_at = datetime_of(current["sla"]["first_response_breached_at"])
    # Recorded at the due time (MongoDB keeps milliseconds).
    assert abs(breached_at - (opened + timedelta(minutes=30))) < timedelta(milliseconds=1)
    entries = await api.get(f"/v1/cases/{case['id']}/timeline", "always", kind="case.sla_breached")
    assert [e["case_change"]["target"] for e in entries["items"]] == ["first_response"]
    events = [
        e
        for e in await read_events(api.settings.kafka, CASES.name)
        if e.type == CASE_SLA_BREACHED and e.data.case_id == case["id"]
    ]
    assert [(e.data.target, e.data.priority) for e in events] == [("first_response", "urgent")]


def datetime_of(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_an_agent_merges_two_cases_of_a_customer_and_splits_one(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    identities = [email_identity(address)]
    await api.publish(message("acme", f"mail:{address}:1", identities, text="order late"))
    await api.publish(message("acme", f"mail:{address}:2", identities, text="order late?"))
    customer = await api.customer_of("acme", f"email:{address}")

    async def two_cases() -> list[dict[str, Any]] | None:
        found: list[dict[str, Any]] = await api.get(f"/v1/customers/{customer['id']}/cases", "acme")
        return found if len(found) == 2 else None

    newer, older = await eventually(two_cases, timeout=20, what="two cases")
    merged = await api.client.post(
        f"/v1/cases/{older['id']}/merges",
        json={"source_case_id": newer["id"], "reason": "same late order"},
        headers=api.auth("acme"),
    )
    assert merged.status_code == 200, merged.text
    on_older = await api.get(f"/v1/cases/{older['id']}/timeline", "acme", kind="message")
    assert sorted(e["summary"] for e in on_older["items"]) == ["order late", "order late?"]
    closed, _ = await read(api, "acme", newer["id"])
    assert (closed["status"], closed["merged_into"]) == ("closed", older["id"])
    # The merged case's conversation now joins the surviving case.
    await api.publish(message("acme", f"mail:{address}:2", identities, text="any news?"))

    async def joined() -> bool:
        page = await api.get(f"/v1/cases/{older['id']}/timeline", "acme", kind="message")
        return len(page["items"]) == 3

    await eventually(joined, timeout=20, what="the next message on the surviving case")
    again = await api.client.post(
        f"/v1/cases/{older['id']}/merges",
        json={"source_case_id": newer["id"], "reason": "again"},
        headers=api.auth("acme"),
    )
    assert again.status_code == 409  # closed

    # Split the question that is a different matter into a case of its own.
    messages = (await api.get(f"/v1/cases/{older['id']}/timeline", "acme", kind="message"))["items"]
    question = next(e for e in messages if e["summary"] == "any news?")
    split = await api.client.post(
        f"/v1/cases/{older['id']}/split",
        json={"entry_ids": [question["id"]], "subject": "delivery news"},
        headers=api.auth("acme"),
    )
    assert split.status_code == 201, split.text
    created = split.json()
    assert (created["split_from"], created["subject"], created["status"]) == (
        older["id"],
        "delivery news",
        "open",
    )
    on_new = await api.get(f"/v1/cases/{created['id']}/timeline", "acme")
    assert [e["kind"] for e in on_new["items"]] == ["case.split_from", "message"]
    foreign = await api.client.post(
        f"/v1/cases/{older['id']}/split",
        json={"entry_ids": [on_new["items"][1]["id"]]},
        headers=api.auth("acme"),
    )
    assert foreign.status_code == 409  # not on that case any more


async def test_an_agent_answers_a_chat_case_by_email(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    identities = [email_identity(address)]
    await api.publish(
        message(
            "acme",
            f"mail:{address}",
            identities,
            channel=Channel.EMAIL,
            subject="Invoice 42",
            text="by mail",
        )
    )
    customer = await api.customer_of("acme", f"email:{address}")
    await api.publish(message("acme", f"chat:{address}", identities, text="by chat"))

    async def chat_case() -> dict[str, Any] | None:
        cases: list[dict[str, Any]] = await api.get(f"/v1/customers/{customer['id']}/cases", "acme")
        return next((c for c in cases if c["channel"] == "webchat" and c["reply_to"]), None)

    chat = await eventually(chat_case, timeout=20, what="the chat case")
    by_mail = await api.client.post(
        f"/v1/cases/{chat['id']}/replies",
        json={"text": "We sent the invoice by mail too.", "channel": "email"},
        headers={**api.auth("acme"), "Idempotency-Key": "k1"},
    )
    assert by_mail.status_code == 202, by_mail.text
    assert (by_mail.json()["channel"], by_mail.json()["recipient"]["value"]) == ("email", address)
    requested = [
        e
        for e in await read_events(api.settings.kafka, OUTBOUND.name)
        if isinstance(e.data, OutboundRequested) and e.data.case_id == chat["id"]
    ]
    assert [(e.data.channel, e.data.conversation_key) for e in requested] == [
        (Channel.EMAIL, f"mail:{address}")
    ]
    assert requested[0].data.content.subject == "Invoice 42"
    entries = await api.get(f"/v1/cases/{chat['id']}/timeline", "acme", kind="message")
    assert [(e["channel"], e["reply"]["status"]) for e in entries["items"] if e["reply"]] == [
        ("email", "pending")
    ]
    never = await api.client.post(
        f"/v1/cases/{chat['id']}/replies",
        json={"text": "hi", "channel": "line"},
        headers=api.auth("acme"),
    )
    assert never.status_code == 409


async def test_a_read_receipt_ahead_of_the_sent_confirmation_is_kept_for_it(
    api: CaseApi,
) -> None:
    """The visitor's read receipt (published by the widget's instance) can reach the
    case service before the reply's confirmation (published by the sending instance)."""
    visitor = VisitorConversation(
        tenant_id="acme",
        conversation_id=uuid.uuid4().hex,
        visitor_id=uuid.uuid4().hex,
        email=f"{uuid.uuid4().hex[:8]}@example.org",
    )
    await api.publish(message("acme", visitor.conversation_key, visitor.identities()))
    customer = await api.customer_of("acme", f"webchat_visitor_id:{visitor.visitor_id}")
    (entry,) = await api.timeline("acme", customer["id"], until=1)
    reply = await api.client.post(
        f"/v1/cases/{entry['case_id']}/replies",
        json={"text": "Hello!"},
        headers={**api.auth("acme"), "Idempotency-Key": "early"},
    )
    assert reply.status_code == 202, reply.text
    reply_id = reply.json()["reply_id"]
    (requested,) = [
        e
        for e in await read_events(api.settings.kafka, OUTBOUND.name)
        if isinstance(e.data, OutboundRequested) and str(e.data.reply_id) == reply_id
    ]
    # Same partition (keyed by tenant), so the consumer sees the receipt first.
    await api.publish(visitor_read(visitor, reply_id=reply_id, read_at=utc_now()))
    await api.publish(
        reply_sent(
            requested,
            provider="webchat",
            provider_message_id=reply_id,
            sent_at=utc_now(),
            source="test",
        )
    )

    async def settled() -> dict[str, Any] | None:
        page = await api.get(f"/v1/cases/{entry['case_id']}/timeline", "acme")
        mine = [e for e in page["items"] if e["id"] == reply_id]
        return mine[0] if mine and mine[0]["reply"]["status"] == "sent" else None

    sent = await eventually(settled, timeout=20, what="the reply confirmed")
    assert "read" in sent["reply"].get("delivery", {}), "the early receipt was applied"
