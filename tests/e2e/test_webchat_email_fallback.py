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
from websockets.asyncio.client import connect

from cc_common.auth import Role
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline
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


async def start_chat(client: httpx.AsyncClient, stack: Stack, email: str) -> dict[str, Any]:
    visitor: dict[str, Any] = (
        await client.post(
            f"{stack.url('ingest-chat')}/v1/webchat/conversations",
            json={"tenant_id": TENANT, "email": email},
        )
    ).json()
    sent = await client.post(
        f"{stack.url('ingest-chat')}/v1/webchat/messages",
        json={"client_message_id": "m1", "text": "Where is my parcel?"},
        headers={"Authorization": f"Bearer {visitor['token']}"},
    )
    assert sent.status_code == 202
    return visitor


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
        await start_chat(client, stack, gone)
        staying = await start_chat(client, stack, here)
        ws = stack.url("ingest-chat").replace("http://", "ws://")
        async with connect(f"{ws}/v1/webchat/ws?token={staying['token']}") as socket:
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
                return [m for m in sink.messages if str(m["To"]) == gone]

            (mail,) = await eventually(emailed, timeout=30, what="the email to the visitor")
            body = mail.get_body(("plain",))
            assert body is not None
            assert f"Your parcel leaves today ({gone})." in body.get_content()
            assert str(mail["From"]).endswith(f"<{SUPPORT}>")
            await asyncio.sleep(3)  # two more fallback rounds
            assert [m for m in sink.messages if str(m["To"]) == here] == [], "seen live: no mail"
            assert len([m for m in sink.messages if str(m["To"]) == gone]) == 1, "sent once"

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
