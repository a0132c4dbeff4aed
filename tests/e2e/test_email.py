"""Email end to end over real SMTP: a customer writes to the support address, the mail
lands on their timeline, an agent replies through the case API, the reply reaches the
customer's mailbox (a local SMTP sink) with threading headers, and the customer's answer
lands on the same case."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline
from tests.integration.email_fixtures import Sink, start_sink, tenant_config

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


@pytest.fixture(scope="module")
def mail_stack(
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Sink]]:
    sink_port = free_port()
    sink, controller = start_sink(sink_port)
    tenants = {"acme": tenant_config()}
    try:
        with running_stack(
            infra,
            tmp_path_factory.mktemp("email-stack"),
            mail_sink_port=sink_port,
            extra_env={"EMAIL_TENANTS": json.dumps(tenants)},
        ) as stack:
            yield stack, sink
    finally:
        controller.stop()


async def smtp_send(stack: Stack, message: EmailMessage) -> None:
    await aiosmtplib.send(
        message,
        sender=message["From"].addresses[0].addr_spec,
        recipients=["support@acme.example"],
        hostname="127.0.0.1",
        port=stack.config.smtp_port,
    )


def customer_mail(address: str, subject: str, body: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Sam Buyer <{address}>"
    message["To"] = "Acme Support <support@acme.example>"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def test_email_round_trip_through_smtp_the_case_api_and_back(
    mail_stack: tuple[Stack, Sink],
) -> None:
    stack, sink = mail_stack
    case_url = stack.url("case")
    agent = token(stack, "acme", Role.AGENT, subject="alice")
    auth = {"Authorization": f"Bearer {agent}"}
    address = f"sam-{uuid.uuid4().hex[:8]}@example.org"
    first = customer_mail(address, "Invoice problem", "The invoice total is wrong.")
    await smtp_send(stack, first)

    async with httpx.AsyncClient(timeout=10) as client:

        async def customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, agent, f"email:{address}")

        found = await eventually(customer, what="the customer")

        async def entries(predicate: Any, what: str) -> list[dict[str, Any]]:
            async def probe() -> list[dict[str, Any]]:
                timeline = await full_timeline(client, case_url, agent, found["id"])
                return [e for e in timeline if predicate(e)]

            return await eventually(probe, what=what)

        (inbound,) = await entries(
            lambda e: e["entry_type"] == "interaction" and e["channel"] == "email", "the mail"
        )
        assert inbound["summary"] == "The invoice total is wrong."
        case_id = inbound["case_id"]

        body = {"text": "We have corrected the invoice."}
        reply = await client.post(
            f"{case_url}/v1/cases/{case_id}/replies",
            json=body,
            headers={**auth, "Idempotency-Key": "reply-1"},
        )
        assert reply.status_code == 202, reply.text
        assert reply.json()["status"] == "pending"
        recipient = {"kind": "email", "value": address, "verified": False, "claimed": False}
        assert reply.json()["recipient"] == recipient
        retried = await client.post(
            f"{case_url}/v1/cases/{case_id}/replies",
            json=body,
            headers={**auth, "Idempotency-Key": "reply-1"},
        )
        assert retried.json()["reply_id"] == reply.json()["reply_id"]
        reused = await client.post(
            f"{case_url}/v1/cases/{case_id}/replies",
            json={"text": "something else"},
            headers={**auth, "Idempotency-Key": "reply-1"},
        )
        assert reused.status_code == 409

        async def delivered() -> list[EmailMessage]:
            return sink.received(In_Reply_To=str(first["Message-ID"]))

        (sent,) = await eventually(delivered, what="the reply in the customer's mailbox")
        assert str(sent["To"]) == address
        assert str(first["Message-ID"]) in str(sent["References"])
        assert str(sent["Subject"]).startswith("Re: Invoice problem [#C-")
        body_text = sent.get_body(("plain",))
        assert body_text is not None
        assert "We have corrected the invoice." in body_text.get_content()

        (settled,) = await entries(
            lambda e: e["entry_type"] == "reply" and e["reply"]["status"] == "sent",
            "the reply marked sent",
        )
        assert settled["reply"]["provider_message_id"] == str(sent["Message-ID"])

        answer = customer_mail(
            address,
            "Thanks!",
            "Perfect, thank you.\n\nOn Mon, Acme Support <support@acme.example> wrote:\n> old",
            In_Reply_To=str(sent["Message-ID"]),
            References=f"{first['Message-ID']} {sent['Message-ID']}",
        )
        await smtp_send(stack, answer)
        (answered,) = await entries(
            lambda e: e["entry_type"] == "interaction" and e["summary"] == "Perfect, thank you.",
            "the customer's answer",
        )
        assert answered["case_id"] == case_id
        assert answered["interaction"]["email"]["quoted_text"].startswith("On Mon")

        # The reply exists once: one reply entry, no second entry for the sent mail.
        await asyncio.sleep(1.0)
        timeline = await full_timeline(client, case_url, agent, found["id"])
        outbound = [e for e in timeline if e.get("direction") == "outbound"]
        assert [e["entry_type"] for e in outbound] == ["reply"]
        assert len(sink.received(In_Reply_To=str(first["Message-ID"]))) == 1

        case = await client.get(f"{case_url}/v1/cases/{case_id}", headers=auth)
        assert case.json()["reply_to"]["value"] == address

        other = {"Authorization": f"Bearer {token(stack, 'other', Role.AGENT)}"}
        assert (
            await client.get(f"{case_url}/v1/cases/{case_id}", headers=other)
        ).status_code == 404
        foreign_reply = await client.post(
            f"{case_url}/v1/cases/{case_id}/replies", json=body, headers=other
        )
        assert foreign_reply.status_code == 404
