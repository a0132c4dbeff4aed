"""Secrets and personal data stay out of the logs (issue "Nothing forged", finding 5):
an end-to-end run (a web chat over the socket, a mail over SMTP, an agent's reply and
lookups by email) leaves no conversation token, bearer token, email address or
message text in any service's log at the default level."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage

import aiosmtplib
import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import DEMO_WIDGET_KEY, Stack, StackConfig, default_services
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TENANT = "demo"
SUPPORT = "support@demo.example"


@pytest.fixture(scope="module")
def log_stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(infra, tmp_path_factory.mktemp("logs")) as stack:
        yield stack


async def test_no_token_address_or_message_text_reaches_a_log(log_stack: Stack) -> None:
    stack = log_stack
    marker = uuid.uuid4().hex[:12]
    visitor_email = f"visitor-{marker}@example.jp"
    sender = f"sender-{marker}@example.org"
    chat_text = f"my card number ends {marker} chat"
    mail_text = f"order {marker} mail body"
    agent = token(stack, TENANT, Role.AGENT)
    auth = {"Authorization": f"Bearer {agent}"}
    async with httpx.AsyncClient(timeout=15) as client:
        visitor = (
            await client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/conversations",
                json={
                    "tenant_id": TENANT,
                    "widget_key": DEMO_WIDGET_KEY,
                    "email": visitor_email,
                    "name": f"Name {marker}",
                },
            )
        ).json()
        async with visitor_socket(stack.url("ingest-chat"), visitor["token"]) as socket:
            await socket.send(
                json.dumps({"type": "message", "client_message_id": "m1", "text": chat_text})
            )
            async with asyncio.timeout(20):
                while json.loads(await socket.recv())["type"] != "ack":
                    pass
        mail = EmailMessage()
        mail["From"], mail["To"] = sender, SUPPORT
        mail["Subject"] = f"Subject {marker}"
        mail["Message-ID"] = f"<{marker}@example.org>"
        mail.set_content(mail_text)
        await aiosmtplib.send(mail, hostname="127.0.0.1", port=stack.config.smtp_port)

        async def chat_case() -> str | None:
            found = await find_customer(client, stack.url("case"), agent, visitor_key(visitor))
            if found is None:
                return None
            entries = await full_timeline(client, stack.url("case"), agent, found["id"])
            return next((e["case_id"] for e in entries if e["entry_type"] == "interaction"), None)

        case_id = await eventually(chat_case, what="the chat's case")
        reply = await client.post(
            f"{stack.url('case')}/v1/cases/{case_id}/replies",
            json={"text": f"reply {marker} text"},
            headers={**auth, "Idempotency-Key": marker},
        )
        assert reply.status_code == 202, reply.text
        await eventually(
            lambda: find_customer(client, stack.url("case"), agent, f"email:{sender}"),
            what="the mail's customer",
        )
        await asyncio.sleep(2)  # the reply's send and its announcements

    secrets = {
        "visitor token": visitor["token"],
        "agent token": agent,
        "visitor email": visitor_email,
        "mail sender": sender,
        "chat text": chat_text,
        "mail text": mail_text,
        "reply text": f"reply {marker} text",
    }
    logs = {
        spec.name: stack.config.data_dir / "logs" / f"{spec.name}.log"
        for spec in default_services()
    }
    leaks = [
        f"{what} in {name}.log"
        for name, path in logs.items()
        if path.exists()
        for what, secret in secrets.items()
        if secret in path.read_text(errors="replace")
    ]
    assert leaks == []
    # The run did log (so the check above read real logs).
    assert all(path.exists() and path.stat().st_size > 0 for path in logs.values())
