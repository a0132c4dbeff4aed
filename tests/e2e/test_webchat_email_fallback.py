"""A visitor who left the chat gets the agent's unseen reply by email, and their answer
by email joins the same case; a visitor still connected (who saw it live) gets none."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, StackConfig
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key
from tests.e2e.test_webchat_live import receive
from tests.integration.email_fixtures import Sink, start_sink

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TENANT = f"f{uuid.uuid4().hex[:8]}"
SUPPORT = "support@fallback.example"


@pytest.fixture(scope="module")
def fallback_stack(
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Sink]]:
    sink_port = free_port()
    sink, controller = start_sink(sink_port)
    env = {
        "EMAIL_TENANTS": json.dumps({TENANT: {"addresses": [SUPPORT], "from_name": "Support"}}),
        "CHAT_EMAIL_FALLBACK_MINUTES": "0.05",
        "CHAT_EMAIL_FALLBACK_CHECK_SECONDS": "1",
    }
    try:
        with running_stack(
            infra, tmp_path_factory.mktemp("fallback"), mail_sink_port=sink_port, extra_env=env
        ) as stack:
            yield stack, sink
    finally:
        controller.stop()


CODE_SUBJECT = "Your verification code: "


def mail_to(sink: Sink, address: str, *, codes: bool = False) -> list[EmailMessage]:
    """What the address received: the code mails, or everything else."""
    return [
        m
        for m in list(sink.messages)
        if str(m["To"]) == address and str(m["Subject"]).startswith(CODE_SUBJECT) == codes
    ]


async def start_chat(
    client: httpx.AsyncClient, stack: Stack, email: str, sink: Sink | None = None
) -> dict[str, Any]:
    """A conversation with one message; with ``sink`` the visitor first proves the
    email with the code mailed to it (an unproven email gets no mail from us)."""
    visitor: dict[str, Any] = (
        await client.post(
            f"{stack.url('ingest-chat')}/v1/webchat/conversations",
            json={"tenant_id": TENANT, "email": email},
        )
    ).json()
    if sink is not None:
        visitor = await verify_email(client, stack, sink, visitor, email)
    sent = await client.post(
        f"{stack.url('ingest-chat')}/v1/webchat/messages",
        json={"client_message_id": "m1", "text": "Where is my parcel?"},
        headers={"Authorization": f"Bearer {visitor['token']}"},
    )
    assert sent.status_code == 202
    return visitor


async def verify_email(
    client: httpx.AsyncClient, stack: Stack, sink: Sink, visitor: dict[str, Any], email: str
) -> dict[str, Any]:
    base = f"{stack.url('ingest-chat')}/v1/webchat/conversations/current/email-verification"
    auth = {"Authorization": f"Bearer {visitor['token']}"}
    asked = await client.post(base, headers=auth)
    assert asked.status_code == 202, asked.text

    async def code_mail() -> list[EmailMessage]:
        return mail_to(sink, email, codes=True)

    (mail,) = await eventually(code_mail, timeout=30, what="the code mail")
    code = str(mail["Subject"]).removeprefix(CODE_SUBJECT)
    assert str(mail["Auto-Submitted"]) == "auto-generated"
    confirmed = await client.post(f"{base}/confirm", json={"code": code}, headers=auth)
    assert confirmed.status_code == 200, confirmed.text
    proven: dict[str, Any] = confirmed.json()
    assert proven["conversation_id"] == visitor["conversation_id"]
    return proven


async def case_of(client: httpx.AsyncClient, stack: Stack, agent: str, email: str) -> str:
    async def probe() -> str | None:
        customer = await find_customer(client, stack.url("case"), agent, f"email:{email}")
        if customer is None:
            return None
        entries = await full_timeline(client, stack.url("case"), agent, customer["id"])
        case_id = next((e["case_id"] for e in entries if e["entry_type"] == "interaction"), None)
        if case_id is None:
            return None
        # The message is on the timeline a moment before the case knows whom to answer.
        case = await client.get(
            f"{stack.url('case')}/v1/cases/{case_id}",
            headers={"Authorization": f"Bearer {agent}"},
        )
        return case_id if case.json().get("reply_to") else None

    return await eventually(probe, what=f"the case of {email}, ready for a reply")


async def test_an_unseen_reply_is_emailed_and_the_answer_joins_the_case(
    fallback_stack: tuple[Stack, Sink],
) -> None:
    stack, sink = fallback_stack
    agent = token(stack, TENANT, Role.AGENT, subject="emi")
    auth = {"Authorization": f"Bearer {agent}"}
    gone, here = (f"{name}{uuid.uuid4().hex[:6]}@example.com" for name in ("gone", "here"))
    async with httpx.AsyncClient(timeout=15) as client:
        await start_chat(client, stack, gone, sink)
        staying = await start_chat(client, stack, here, sink)
        async with visitor_socket(stack.url("ingest-chat"), staying["token"]) as socket:
            for email in (gone, here):
                case_id = await case_of(client, stack, agent, email)
                reply = await client.post(
                    f"{stack.url('case')}/v1/cases/{case_id}/replies",
                    json={"text": f"Your parcel leaves today ({email})."},
                    headers={**auth, "Idempotency-Key": email},
                )
                assert reply.status_code == 202, reply.text
            live = await receive(socket, "agent_message")
            assert here in live["text"], "the connected visitor saw it live"

            async def emailed() -> list[EmailMessage]:
                return mail_to(sink, gone)

            (mail,) = await eventually(emailed, timeout=30, what="the email to the visitor")
            body = mail.get_body(("plain",))
            assert body is not None
            assert f"Your parcel leaves today ({gone})." in body.get_content()
            assert str(mail["From"]).endswith(f"<{SUPPORT}>")
            await asyncio.sleep(3)  # two more fallback rounds
            assert mail_to(sink, here) == [], "seen live: no mail"
            assert len(mail_to(sink, gone)) == 1, "sent once"

        answer = EmailMessage()
        answer["From"], answer["To"] = gone, SUPPORT
        answer["Subject"] = f"Re: {mail['Subject']}"
        answer["In-Reply-To"] = answer["References"] = str(mail["Message-ID"])
        answer["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
        answer.set_content("Thank you! I will be home.")
        await aiosmtplib.send(answer, hostname="127.0.0.1", port=stack.config.smtp_port)

        chat_case = await case_of(client, stack, agent, gone)

        async def answered() -> dict[str, Any] | None:
            entries = (
                await client.get(f"{stack.url('case')}/v1/cases/{chat_case}/timeline", headers=auth)
            ).json()["items"]
            return next(
                (e for e in entries if e["channel"] == "email" and e["direction"] == "inbound"),
                None,
            )

        by_mail = await eventually(answered, what="the emailed answer on the chat's case")
        assert by_mail["conversation_key"].startswith("webchat:")
        assert "I will be home" in (by_mail["summary"] or "")


async def test_an_unproven_email_gets_no_mail_and_a_guessed_code_is_refused(
    fallback_stack: tuple[Stack, Sink],
) -> None:
    """Typing someone's address must not make us mail them the agents' messages, nor
    let a visitor guess their way to a verified identity."""
    stack, sink = fallback_stack
    agent = token(stack, TENANT, Role.AGENT, subject="emi")
    auth = {"Authorization": f"Bearer {agent}"}
    victim = f"victim{uuid.uuid4().hex[:6]}@example.com"
    async with httpx.AsyncClient(timeout=15) as client:
        visitor = await start_chat(client, stack, victim)
        visitor_auth = {"Authorization": f"Bearer {visitor['token']}"}

        async def case_id_of_chat() -> str | None:
            customer = await find_customer(client, stack.url("case"), agent, visitor_key(visitor))
            if customer is None:
                return None
            entries = await full_timeline(client, stack.url("case"), agent, customer["id"])
            return next((e["case_id"] for e in entries if e["entry_type"] == "interaction"), None)

        case_id = await eventually(case_id_of_chat, what="the chat's case")
        reply = await client.post(
            f"{stack.url('case')}/v1/cases/{case_id}/replies",
            json={"text": "Your parcel leaves today."},
            headers={**auth, "Idempotency-Key": victim},
        )
        assert reply.status_code == 202, reply.text
        await asyncio.sleep(4)  # several fallback rounds past the fallback delay
        assert mail_to(sink, victim) == []

        base = f"{stack.url('ingest-chat')}/v1/webchat/conversations/current/email-verification"
        confirm = f"{base}/confirm"
        none_yet = await client.post(confirm, json={"code": "000000"}, headers=visitor_auth)
        assert none_yet.status_code == 404
        assert (await client.post(base, headers=visitor_auth)).status_code == 202

        async def code_mail() -> list[EmailMessage]:
            return mail_to(sink, victim, codes=True)

        (mail,) = await eventually(code_mail, timeout=30, what="the code mail")
        right = str(mail["Subject"]).removeprefix(CODE_SUBJECT)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        statuses = [
            (await client.post(confirm, json={"code": wrong}, headers=visitor_auth))
            for _ in range(5)
        ]
        assert [r.status_code for r in statuses] == [422] * 5
        assert "0 tries left" in statuses[-1].json()["detail"]
        # The budget is spent: even the right code is refused now.
        late = await client.post(confirm, json={"code": right}, headers=visitor_auth)
        assert late.status_code == 429
        # Three codes an hour at most (one sent above).
        asked = [(await client.post(base, headers=visitor_auth)).status_code for _ in range(3)]
        assert asked == [202, 202, 429]
