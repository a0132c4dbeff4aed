"""One message travels ingest-chat -> Kafka -> router and case -> MongoDB -> case API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from cc_common.kafka import dlq_tools
from cc_common.kafka.producer import EventProducer
from cc_common.topics import INTERACTIONS
from contactcenter_cli.stack import Stack
from tests.e2e.conftest import token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


async def start_chat(
    client: httpx.AsyncClient, stack: Stack, tenant: str, **visitor: str
) -> dict[str, str]:
    response = await client.post(
        f"{stack.url('ingest-chat')}/v1/webchat/conversations",
        json={"tenant_id": tenant, **visitor},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def send_chat(
    client: httpx.AsyncClient,
    stack: Stack,
    conversation: dict[str, str],
    client_id: str,
    text: str,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"{stack.url('ingest-chat')}/v1/webchat/messages",
        json={"client_message_id": client_id, "text": text},
        headers={"Authorization": f"Bearer {conversation['token']}", **(headers or {})},
    )


async def test_a_chat_message_reaches_the_timeline_with_its_routing(stack: Stack) -> None:
    await chat_round_trip(stack)


async def chat_round_trip(stack: Stack) -> None:
    """Send a chat message for a new tenant; see it and its task on the timeline."""
    tenant = f"t{uuid.uuid4().hex[:8]}"
    agent = token(stack, tenant, Role.AGENT)
    case_url = stack.url("case")
    async with httpx.AsyncClient(timeout=10) as client:
        chat = await start_chat(client, stack, tenant, name="Ana", email="Ana@Example.com")
        trace_id = uuid.uuid4().hex
        traced = {"traceparent": f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"}
        accepted = await send_chat(client, stack, chat, "m1", "Where is my parcel?", traced)
        assert accepted.status_code == 202, accepted.text
        again = await send_chat(client, stack, chat, "m1", "Where is my parcel?")
        assert again.json()["event_id"] == accepted.json()["event_id"], "a resend is one event"

        customer = await eventually(
            lambda: find_customer(client, case_url, agent, visitor_key(chat)),
            what="the customer",
        )
        assert customer["display_name"] == "Ana"
        # The typed email is a claim: it is not the customer's identity.
        assert customer["identities"] == [
            {"kind": "webchat_visitor_id", "value": chat["visitor_id"]}
        ]

        async def both_entries() -> list[dict[str, Any]] | None:
            entries = await full_timeline(client, case_url, agent, customer["id"])
            kinds = sorted(e["kind"] for e in entries)
            return entries if kinds == ["message", "task.queued"] else None

        entries = await eventually(both_entries, what="message and routing entries")
        message = next(e for e in entries if e["kind"] == "message")
        assert message["id"] == accepted.json()["event_id"]
        assert message["channel"] == "webchat"
        assert message["interaction"]["content"]["text"] == "Where is my parcel?"
        queued = next(e for e in entries if e["kind"] == "task.queued")
        assert queued["routing"]["queue"] == "messaging"
        assert queued["routing"]["interaction_id"] == message["id"]
        assert queued["case_id"] == message["case_id"]
        # One trace from the visitor's POST through Kafka, the router and the case service.
        assert message["trace_id"] == trace_id
        assert queued["trace_id"] == trace_id

        queues = await client.get(
            f"{stack.url('router')}/v1/queues", headers={"Authorization": f"Bearer {agent}"}
        )
        assert queues.status_code == 200
        by_queue = {row["queue"]: row for row in queues.json()}
        assert set(by_queue) == {"callbacks", "email", "messaging", "voice"}
        assert by_queue["messaging"]["waiting"] == 1
        assert by_queue["messaging"]["longest_wait_seconds"] >= 0
        assert by_queue["voice"]["waiting"] == 0


async def test_the_case_api_refuses_strangers_and_other_tenants(stack: Stack) -> None:
    tenant, other = f"t{uuid.uuid4().hex[:8]}", f"t{uuid.uuid4().hex[:8]}"
    case_url = stack.url("case")
    async with httpx.AsyncClient(timeout=10) as client:
        chat = await start_chat(client, stack, tenant, email="bo@example.com")
        assert (await send_chat(client, stack, chat, "m1", "hi")).status_code == 202
        mine = token(stack, tenant, Role.AGENT)
        customer = await eventually(
            lambda: find_customer(client, case_url, mine, visitor_key(chat)),
            what="the customer",
        )

        anonymous = await client.get(f"{case_url}/v1/customers/{customer['id']}")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.json()["status"] == 401

        theirs = {"Authorization": f"Bearer {token(stack, other, Role.SUPERVISOR)}"}
        for path in ("", "/timeline", "/cases"):
            response = await client.get(
                f"{case_url}/v1/customers/{customer['id']}{path}", headers=theirs
            )
            body = response.json()
            assert response.status_code == 404 or body in ([], {"items": [], "next_cursor": None})
        lookup = await client.get(
            f"{case_url}/v1/customers", params={"identity": visitor_key(chat)}, headers=theirs
        )
        assert lookup.json() == []

        forged = await send_chat(client, stack, {"token": chat["token"] + "x"}, "m2", "hi")
        assert forged.status_code == 401


async def test_a_chat_email_and_call_join_one_timeline_once_the_proposals_are_accepted(
    stack: Stack,
) -> None:
    """The visitor typed an email and a number: claims, so the mail and the call from
    them start customers of their own, each with a link proposal naming the chat; a
    supervisor accepts both and one timeline holds the three channels."""
    tenant = f"t{uuid.uuid4().hex[:8]}"
    agent = token(stack, tenant, Role.AGENT)
    supervisor = {"Authorization": f"Bearer {token(stack, tenant, Role.SUPERVISOR)}"}
    integration = {"Authorization": f"Bearer {token(stack, tenant, Role.INTEGRATION)}"}
    case_url = stack.url("case")
    async with httpx.AsyncClient(timeout=10) as client:
        chat = await start_chat(
            client, stack, tenant, email="kei@example.jp", phone="+819011112222"
        )
        await send_chat(client, stack, chat, "m1", "My router is broken")
        customer = await eventually(
            lambda: find_customer(client, case_url, agent, visitor_key(chat)), what="customer"
        )
        mail = (
            b"From: Kei <KEI@example.jp>\r\nSubject: Router\r\nMessage-ID: <r1@example.jp>\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\nStill broken.\r\n"
        )
        response = await client.post(
            f"{stack.url('ingest-email')}/v1/messages",
            content=mail,
            headers={**integration, "Content-Type": "message/rfc822"},
        )
        assert response.status_code == 202, response.text
        response = await client.post(
            f"{stack.url('ingest-voice')}/v1/cti/events",
            json={
                "call_id": "call-1",
                "event": "call_started",
                "occurred_at": datetime.now(UTC).isoformat(),
                "from_number": "090-1111-2222",
            },
            headers=integration,
        )
        assert response.status_code == 202, response.text

        async def two_proposals() -> list[dict[str, Any]] | None:
            listed = await client.get(f"{case_url}/v1/merge-proposals", headers=supervisor)
            mine = [p for p in listed.json() if customer["id"] in p["customer_ids"]]
            return mine if len(mine) == 2 else None

        proposals = await eventually(two_proposals, what="a proposal for the mail and the call")
        assert all("(unverified)" in p["reason"] for p in proposals)
        for proposal in proposals:
            accepted = await client.post(
                f"{case_url}/v1/merge-proposals/{proposal['id']}/accept", headers=supervisor
            )
            assert accepted.status_code == 201, accepted.text

        async def three_channels() -> set[str] | None:
            found = await find_customer(client, case_url, agent, visitor_key(chat))
            assert found is not None
            entries = await full_timeline(client, case_url, agent, found["id"])
            channels = {e["channel"] for e in entries if e["entry_type"] == "interaction"}
            return channels if channels == {"webchat", "email", "voice"} else None

        await eventually(three_channels, what="chat, email and call on one timeline")


async def test_a_poison_message_is_dead_lettered_and_the_system_keeps_flowing(
    stack: Stack,
) -> None:
    settings = stack.config.kafka_settings()
    producer = EventProducer(settings)
    await producer.start()
    try:
        await producer.send_raw_many(INTERACTIONS.name, [(b"acme", b"\x00not json at all", [])])
    finally:
        await producer.stop()

    async def dead_letters() -> list[dlq_tools.DeadLetter] | None:
        letters = await dlq_tools.read_dead_letters(settings, INTERACTIONS.name)
        poison = [d for d in letters if d.value == b"\x00not json at all"]
        return poison if len(poison) == 2 else None

    letters = await eventually(dead_letters, what="the poison in the DLQ of router and case")
    assert {d.error_type for d in letters} == {"UndecodableEvent"}
    assert {header for d in letters for k, header in d.headers if k == "x-consumer-group"} == {
        f"router{settings.topic_suffix}".encode(),
        f"case{settings.topic_suffix}".encode(),
    }
    await chat_round_trip(stack)
