"""Identity resolution through the HTTP API, on the real broker and database: one person
across channels, automatic merges of verified identities and their undoing, proposals
for typed ones, concurrent first contacts, and phone numbers written every which way."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from case_service.adapters.customers import CustomerRepository
from case_service.domain.identity import keys_in_priority
from case_service.settings import MergePolicy, TenantCaseRules
from cc_common.auth import Role
from cc_common.events import (
    CallStatus,
    Channel,
    IdentityKind,
    InteractionKind,
    VoiceFacts,
    utc_now,
)
from cc_common.mongo import Document
from cc_common.settings import KafkaSettings, MongoSettings
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, case_api, email_identity, identity, message

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
            "careful": TenantCaseRules(merge_policy=MergePolicy.PROPOSE),
            "br": TenantCaseRules(phone_region="BR"),
        },
    ) as running:
        yield running


async def customer_count(api: CaseApi, tenant: str, *identities: str) -> set[str]:
    found: set[str] = set()
    for text in identities:
        customers: list[dict[str, Any]] = await api.get("/v1/customers", tenant, identity=text)
        found.update(c["id"] for c in customers)
    return found


async def test_verified_identities_of_two_customers_merge_and_the_merge_can_be_undone(
    api: CaseApi,
) -> None:
    line_id = f"U{uuid.uuid4().hex}"
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    line = identity(IdentityKind.LINE_USER_ID, line_id)
    await api.publish(message("acme", f"line:{line_id}", [line], channel=Channel.LINE, text="hi"))
    on_line = await api.customer_of("acme", f"line_user_id:{line_id}")
    await api.publish(message("acme", f"mail:{address}", [email_identity(address)], text="mail"))
    by_mail = await api.customer_of("acme", f"email:{address}")
    assert on_line["id"] != by_mail["id"]

    # A LINE contact whose verified profile carries the same email: one person.
    await api.publish(
        message(
            "acme",
            f"line:{line_id}",
            [line, email_identity(address)],
            channel=Channel.LINE,
            text="it's me",
        )
    )

    async def merged() -> dict[str, Any] | None:
        found = await api.get(f"/v1/customers/{by_mail['id']}", "acme")
        return found if found.get("merged_into") else None

    source = await eventually(merged, timeout=20, what="the automatic merge")
    assert source["merged_into"] == on_line["id"]
    assert await customer_count(api, "acme", f"line_user_id:{line_id}", f"email:{address}") == {
        on_line["id"]
    }
    entries = await api.timeline("acme", on_line["id"], until=4)
    assert sorted(e["summary"] for e in entries if e["kind"] == "message") == [
        "hi",
        "it's me",
        "mail",
    ]
    (merge,) = await api.get(f"/v1/customers/{on_line['id']}/merges", "acme")
    assert merge["actor"] == "system"
    assert f"email:{address}" in merge["reason"]
    assert f"line_user_id:{line_id}" in merge["reason"]

    # Agents cannot undo; supervisors can.
    refused = await api.client.post(f"/v1/merges/{merge['id']}/undo", headers=api.auth("acme"))
    assert refused.status_code == 403
    undone = await api.client.post(
        f"/v1/merges/{merge['id']}/undo", headers=api.auth("acme", Role.SUPERVISOR)
    )
    assert undone.status_code == 200, undone.text
    assert undone.json()["state"] == "undone"
    restored = await api.get(f"/v1/customers/{by_mail['id']}", "acme")
    assert restored["merged_into"] is None
    assert [i["value"] for i in restored["identities"]] == [address]
    mail_entries = await api.get(f"/v1/customers/{by_mail['id']}/timeline", "acme")
    assert [e["kind"] for e in mail_entries["items"]] == ["customer.unmerged", "message"]
    line_entries = await api.get(f"/v1/customers/{on_line['id']}/timeline", "acme", kind="message")
    assert sorted(e["summary"] for e in line_entries["items"]) == ["hi", "it's me"]
    # Another tenant can neither see nor undo it.
    foreign = await api.client.post(
        f"/v1/merges/{merge['id']}/undo", headers=api.auth("other", Role.SUPERVISOR)
    )
    assert foreign.status_code == 404


async def test_a_typed_identity_only_proposes_a_merge_which_a_supervisor_accepts(
    api: CaseApi,
) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    visitor = f"v-{uuid.uuid4().hex[:8]}"
    await api.publish(message("acme", f"mail:{address}", [email_identity(address)]))
    await api.customer_of("acme", f"email:{address}")
    chat_visitor = identity(IdentityKind.WEBCHAT_VISITOR_ID, visitor)
    await api.publish(message("acme", f"chat:{visitor}", [chat_visitor]))
    await api.customer_of("acme", f"webchat_visitor_id:{visitor}")
    # Later in the chat the visitor types that email: a claim, not proof.
    await api.publish(
        message(
            "acme",
            f"chat:{visitor}",
            [chat_visitor, email_identity(address, verified=False)],
        )
    )
    supervisor = api.auth("acme", Role.SUPERVISOR)

    async def proposed() -> list[dict[str, Any]] | None:
        response = await api.client.get("/v1/merge-proposals", headers=supervisor)
        assert response.status_code == 200, response.text
        mine = [p for p in response.json() if f"email:{address}" in p["reason"]]
        return mine or None

    (proposal,) = await eventually(proposed, timeout=20, what="a merge proposal")
    assert (
        len(await customer_count(api, "acme", f"email:{address}", f"webchat_visitor_id:{visitor}"))
        == 2
    )
    accepted = await api.client.post(
        f"/v1/merge-proposals/{proposal['id']}/accept", headers=supervisor
    )
    assert accepted.status_code == 201, accepted.text
    assert (
        len(await customer_count(api, "acme", f"email:{address}", f"webchat_visitor_id:{visitor}"))
        == 1
    )
    again = await api.client.post(
        f"/v1/merge-proposals/{proposal['id']}/accept", headers=supervisor
    )
    assert again.status_code == 409


async def test_a_tenant_that_wants_proposals_gets_no_automatic_merge(api: CaseApi) -> None:
    line_id = f"U{uuid.uuid4().hex}"
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    line = identity(IdentityKind.LINE_USER_ID, line_id)
    await api.publish(message("careful", f"line:{line_id}", [line], channel=Channel.LINE))
    await api.publish(message("careful", f"mail:{address}", [email_identity(address)]))
    await api.customer_of("careful", f"email:{address}")
    await api.customer_of("careful", f"line_user_id:{line_id}")
    await api.publish(
        message("careful", f"line:{line_id}", [line, email_identity(address)], channel=Channel.LINE)
    )
    supervisor = api.auth("careful", Role.SUPERVISOR)

    async def proposed() -> list[dict[str, Any]] | None:
        response = await api.client.get("/v1/merge-proposals", headers=supervisor)
        return response.json() or None

    await eventually(proposed, timeout=20, what="a merge proposal")
    assert (
        len(await customer_count(api, "careful", f"email:{address}", f"line_user_id:{line_id}"))
        == 2
    )


async def test_an_agent_merges_by_hand_and_bad_merges_are_refused(api: CaseApi) -> None:
    one, two = (f"{uuid.uuid4().hex[:8]}@example.org" for _ in range(2))
    for address in (one, two):
        await api.publish(message("acme", f"mail:{address}", [email_identity(address)]))
    first = await api.customer_of("acme", f"email:{one}")
    second = await api.customer_of("acme", f"email:{two}")
    url = f"/v1/customers/{first['id']}/merges"
    body = {"source_customer_id": second["id"], "reason": "same person, confirmed by phone"}
    done = await api.client.post(url, json=body, headers=api.auth("acme"))
    assert done.status_code == 201, done.text
    twice = await api.client.post(url, json=body, headers=api.auth("acme"))
    assert twice.status_code == 409
    itself = await api.client.post(
        url, json={"source_customer_id": first["id"], "reason": "x"}, headers=api.auth("acme")
    )
    assert itself.status_code == 409
    foreign = await api.client.post(
        f"/v1/customers/{first['id']}/merges", json=body, headers=api.auth("other")
    )
    assert foreign.status_code == 404
    assert await customer_count(api, "acme", f"email:{one}", f"email:{two}") == {first["id"]}


async def test_phone_numbers_written_differently_are_one_customer(api: CaseApi) -> None:
    suffix = f"{uuid.uuid4().int % 10_000:04d}"
    # WhatsApp reports the Brazilian mobile without its ninth digit; the SMS has it;
    # the agent types it in national format.
    whatsapp = [
        identity(IdentityKind.WHATSAPP_ID, f"55118765{suffix}"),
        identity(IdentityKind.PHONE, f"+55118765{suffix}"),
    ]
    await api.publish(message("br", f"wa:{suffix}", whatsapp, channel=Channel.WHATSAPP))
    sms = [identity(IdentityKind.PHONE, f"+551198765{suffix}")]
    await api.publish(message("br", f"sms:{suffix}", sms, channel=Channel.SMS))
    customer = await api.customer_of("br", f"phone:(11) 98765-{suffix}")
    entries = await api.timeline("br", customer["id"], until=2)
    assert {e["channel"] for e in entries} == {"whatsapp", "sms"}


async def test_concurrent_first_contacts_of_one_identity_make_one_customer(
    mongo: AsyncMongoClient[Document], unique: str
) -> None:
    repository = CustomerRepository(mongo[f"race{unique}"])
    keys = keys_in_priority("acme", [email_identity("race@example.org")])
    results = await asyncio.gather(
        *(repository.resolve("acme", keys, display_name=None, seen_at=utc_now()) for _ in range(20))
    )
    assert len({r.customer_id for r in results}) == 1


async def test_a_profile_is_edited_with_its_etag(api: CaseApi) -> None:
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"mail:{address}", [email_identity(address)]))
    customer = await api.customer_of("acme", f"email:{address}")
    url = f"/v1/customers/{customer['id']}"
    etag = (await api.client.get(url, headers=api.auth("acme"))).headers["ETag"]
    body = {
        "display_name": "山田 太郎",
        "language": "ja-JP",
        "tier": "gold",
        "vip": True,
        "consent": {"marketing_email": False},
        "attributes": {"crm_account": "A-1001"},
    }
    edited = await api.client.patch(url, json=body, headers={**api.auth("acme"), "If-Match": etag})
    assert edited.status_code == 200, edited.text
    profile = edited.json()
    assert (profile["language"], profile["tier"], profile["vip"]) == ("ja-JP", "gold", True)
    merged = await api.client.patch(
        url,
        json={"consent": {"marketing_sms": True}},
        headers={**api.auth("acme"), "If-Match": edited.headers["ETag"]},
    )
    assert merged.json()["consent"] == {"marketing_email": False, "marketing_sms": True}
    stale = await api.client.patch(
        url, json={"tier": "silver"}, headers={**api.auth("acme"), "If-Match": etag}
    )
    assert stale.status_code == 412
    bad = await api.client.patch(
        url,
        json={"language": "not a language"},
        headers={**api.auth("acme"), "If-Match": merged.headers["ETag"]},
    )
    assert bad.status_code == 422
    found = await api.client.get(
        "/v1/search", params={"q": "太郎", "scope": "customers"}, headers=api.auth("acme")
    )
    assert [h["customer_id"] for h in found.json()["hits"]] == [customer["id"]]


async def test_one_person_across_email_chat_line_and_a_call_has_one_timeline(
    api: CaseApi,
) -> None:
    """LINE first; the agent links the phone number the LINE user gave; a call from that
    number joins; the person's email (and a chat where they typed it) is another
    customer until an agent merges the two: then one timeline holds all four."""
    line_id = f"U{uuid.uuid4().hex}"
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    phone = f"+8190{uuid.uuid4().int % 10**8:08d}"
    line = identity(IdentityKind.LINE_USER_ID, line_id)
    await api.publish(message("acme", f"line:{line_id}", [line], channel=Channel.LINE, text="LINE"))
    on_line = await api.customer_of("acme", f"line_user_id:{line_id}")
    linked = await api.client.post(
        f"/v1/customers/{on_line['id']}/identities",
        json={"kind": "phone", "value": phone},
        headers=api.auth("acme"),
    )
    assert linked.status_code == 201, linked.text
    call = message("acme", f"call:{uuid.uuid4().hex}", [identity(IdentityKind.PHONE, phone)])
    call = call.model_copy(
        update={
            "data": call.data.model_copy(
                update={
                    "channel": Channel.VOICE,
                    "kind": InteractionKind.CALL,
                    "content": None,
                    "voice": VoiceFacts(
                        call_id="CA1", status=CallStatus.ENDED, duration_seconds=95
                    ),
                }
            )
        }
    )
    await api.publish(call)
    await api.publish(
        message(
            "acme", f"mail:{address}", [email_identity(address)], channel=Channel.EMAIL, text="mail"
        )
    )
    by_mail = await api.customer_of("acme", f"email:{address}")
    visitor = identity(IdentityKind.WEBCHAT_VISITOR_ID, f"v-{uuid.uuid4().hex[:8]}")
    await api.publish(
        message(
            "acme",
            f"chat:{visitor.value}",
            [visitor, email_identity(address, verified=False)],
            text="chat",
        )
    )
    await api.timeline("acme", by_mail["id"], until=2)
    merged = await api.client.post(
        f"/v1/customers/{on_line['id']}/merges",
        json={"source_customer_id": by_mail["id"], "reason": "same person: confirmed on the call"},
        headers=api.auth("acme"),
    )
    assert merged.status_code == 201, merged.text

    entries = await api.timeline("acme", on_line["id"], until=5)
    contacts = [e for e in entries if e["entry_type"] == "interaction"]
    assert sorted(e["channel"] for e in contacts) == ["email", "line", "voice", "webchat"]
    # An unanswered call: the call record, and the callback it asked for.
    assert sorted(e["kind"] for e in entries if e["channel"] == "voice") == [
        "call",
        "callback.requested",
    ]
    assert "customer.merged" in [e["kind"] for e in entries]
    # Newest first, across channels.
    times = [e["occurred_at"] for e in entries]
    assert times == sorted(times, reverse=True)


async def test_a_customer_without_a_name_takes_the_merged_ones_until_undone(
    api: CaseApi,
) -> None:
    """The caller known only by number merged with the mail that gave a name."""
    phone = f"+8190{uuid.uuid4().int % 10**8:08d}"
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    await api.publish(message("acme", f"sms:{phone}", [identity(IdentityKind.PHONE, phone)]))
    await api.publish(
        message("acme", f"mail:{address}", [email_identity(address)], name="Hanako Yamada")
    )
    caller = await api.customer_of("acme", f"phone:{phone}")
    writer = await api.customer_of("acme", f"email:{address}")
    assert caller["display_name"] is None
    merged = await api.client.post(
        f"/v1/customers/{caller['id']}/merges",
        json={"source_customer_id": writer["id"], "reason": "same person"},
        headers=api.auth("acme"),
    )
    assert merged.status_code == 201, merged.text
    assert (await api.get(f"/v1/customers/{caller['id']}", "acme"))["display_name"] == (
        "Hanako Yamada"
    )
    undone = await api.client.post(
        f"/v1/merges/{merged.json()['id']}/undo", headers=api.auth("acme", Role.SUPERVISOR)
    )
    assert undone.status_code == 200, undone.text
    assert (await api.get(f"/v1/customers/{caller['id']}", "acme"))["display_name"] is None
    assert (await api.get(f"/v1/customers/{writer['id']}", "acme"))["display_name"] == (
        "Hanako Yamada"
    )
