"""Agents download what customers attached, through the case API: a web-chat upload,
LINE, WhatsApp and Telegram media (fetched from the provider with the tenant's
credentials) and a mail attachment over SMTP; served as downloads, never to another
tenant."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import aiosmtplib
import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline, visitor_key
from tests.e2e.provider_stand_in import ProviderStandIn
from tests.e2e.test_line import signed

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TENANT = f"a{uuid.uuid4().hex[:8]}"
SECRET = "attachments-line-secret-0123456789"
LINE_TOKEN = "attachments-line-access-token"
SUPPORT = "support@attachments.example"
PNG = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 64
APP_SECRET = "attachments-meta-app-secret-0123"
WHATSAPP_TOKEN = "attachments-whatsapp-token"
TELEGRAM_SECRET = "attachments-telegram-secret"
BOT_TOKEN = "123456:attachments-bot-token"


@pytest.fixture(scope="module")
def att_stack(  # one stand-in plays LINE, the Graph API and Telegram
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, ProviderStandIn]]:
    line = ProviderStandIn(lambda path, body: {"sentMessages": [{"id": "1"}]})
    env = {
        "CHAT_LINE": json.dumps(
            {
                TENANT: {
                    "channel_secrets": [SECRET],
                    "access_token": LINE_TOKEN,
                    "api_base_url": line.url,
                    "data_api_base_url": line.url,
                }
            }
        ),
        "EMAIL_TENANTS": json.dumps({TENANT: {"addresses": [SUPPORT]}}),
        "CHAT_META": json.dumps(
            {
                TENANT: {
                    "app_secrets": [APP_SECRET],
                    "verify_tokens": ["verify"],
                    "whatsapp_token": WHATSAPP_TOKEN,
                    "whatsapp_phone_number_id": "PNID1",
                    "graph_base_url": line.url,
                }
            }
        ),
        "CHAT_TELEGRAM": json.dumps(
            {
                TENANT: {
                    "secret_tokens": [TELEGRAM_SECRET],
                    "bot_token": BOT_TOKEN,
                    "api_base_url": line.url,
                }
            }
        ),
    }
    try:
        with running_stack(infra, tmp_path_factory.mktemp("att"), extra_env=env) as stack:
            yield stack, line
    finally:
        line.close()


async def only_entry(
    client: httpx.AsyncClient, stack: Stack, agent: str, identity: str
) -> dict[str, Any]:
    async def entry() -> dict[str, Any] | None:
        customer = await find_customer(client, stack.url("case"), agent, identity)
        if customer is None:
            return None
        entries = await full_timeline(client, stack.url("case"), agent, customer["id"])
        found = [e for e in entries if e["entry_type"] == "interaction"]
        return found[0] if found else None

    return await eventually(entry, what=f"the message of {identity}")


async def download(
    client: httpx.AsyncClient, stack: Stack, bearer: str, entry_id: str, n: int = 0
) -> httpx.Response:
    return await client.get(
        f"{stack.url('case')}/v1/entries/{entry_id}/attachments/{n}",
        headers={"Authorization": f"Bearer {bearer}"},
    )


async def test_a_web_chat_upload_downloads_as_an_attachment_for_its_tenant_only(
    att_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, _ = att_stack
    agent = token(stack, TENANT, Role.AGENT)
    stranger = token(stack, "someone-else", Role.AGENT, Role.SUPERVISOR)
    email = f"v{uuid.uuid4().hex[:8]}@example.com"
    pdf = b"%PDF-1.4\n" + uuid.uuid4().bytes * 100
    async with httpx.AsyncClient(timeout=15) as client:
        visitor = (
            await client.post(
                f"{stack.url('ingest-chat')}/v1/webchat/conversations",
                json={"tenant_id": TENANT, "email": email},
            )
        ).json()
        uploaded = await client.post(
            f"{stack.url('ingest-chat')}/v1/webchat/files",
            files={"file": ("請求書.pdf", pdf, "application/pdf")},
            data={"client_message_id": "f1"},
            headers={"Authorization": f"Bearer {visitor['token']}"},
        )
        assert uploaded.status_code == 202, uploaded.text
        entry = await only_entry(client, stack, agent, visitor_key(visitor))

        got = await download(client, stack, agent, entry["id"])
        assert got.status_code == 200, got.text
        assert got.content == pdf
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].endswith(
            f"filename*=UTF-8''{quote('請求書.pdf')}"
        )
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"].startswith("sandbox")

        assert (await download(client, stack, agent, entry["id"], n=1)).status_code == 404
        assert (await download(client, stack, stranger, entry["id"])).status_code == 404
        direct = await client.get(
            f"{stack.url('ingest-chat')}/v1/attachments/"
            f"{entry['interaction']['content']['attachments'][0]['blob_id']}",
            headers={"Authorization": f"Bearer {stranger}"},
        )
        assert direct.status_code == 404, "the chat service checks the tenant too"


async def test_a_line_image_is_fetched_from_line_with_the_tenants_token(
    att_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, line = att_stack
    agent = token(stack, TENANT, Role.AGENT)
    user = "U" + uuid.uuid4().hex
    message_id = str(uuid.uuid4().int)[:18]
    line.files[f"/v2/bot/message/{message_id}/content"] = (PNG, "image/png")
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1_700_000_000_000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {
            "id": message_id,
            "type": "image",
            "contentProvider": {"type": "line"},
        },
    }
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    async with httpx.AsyncClient(timeout=15) as client:
        hook = f"{stack.url('ingest-chat')}/v1/line/{TENANT}/webhook"
        accepted = await client.post(hook, content=body, headers=signed(body, SECRET))
        assert accepted.status_code == 200, accepted.text
        entry = await only_entry(client, stack, agent, f"line_user_id:{user}")
        got = await download(client, stack, agent, entry["id"])
        assert got.status_code == 200, got.text
        assert got.content == PNG
        (asked,) = [r for r in line.requests if r["path"].endswith(f"{message_id}/content")]
        assert asked["headers"]["Authorization"] == f"Bearer {LINE_TOKEN}"


async def test_a_mail_attachment_over_smtp_downloads_with_its_name(
    att_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, _ = att_stack
    agent = token(stack, TENANT, Role.AGENT)
    sender = f"w{uuid.uuid4().hex[:8]}@example.org"
    sheet = b"id,total\n1,4200\n" * 50
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, SUPPORT, "The invoice"
    mail.set_content("Please see the attached file.")
    mail.add_attachment(sheet, maintype="text", subtype="csv", filename="invoice.csv")
    await aiosmtplib.send(mail, hostname="127.0.0.1", port=stack.config.smtp_port)
    async with httpx.AsyncClient(timeout=15) as client:
        entry = await only_entry(client, stack, agent, f"email:{sender}")
        got = await download(client, stack, agent, entry["id"])
        assert got.status_code == 200, got.text
        assert got.content == sheet
        assert got.headers["content-type"].startswith("text/csv")
        assert 'filename="invoice.csv"' in got.headers["content-disposition"]


async def test_whatsapp_and_telegram_media_are_fetched_with_the_tenants_credentials(
    att_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, provider = att_stack
    agent = token(stack, TENANT, Role.AGENT)
    jpeg, document = b"\xff\xd8\xff" + uuid.uuid4().bytes * 50, b"%PDF-1.7 telegram"
    media_id, file_id = f"MEDIA{uuid.uuid4().hex[:8]}", f"FILE{uuid.uuid4().hex[:8]}"
    provider.files[f"/v21.0/{media_id}"] = (
        json.dumps({"url": f"{provider.url}/whatsapp-cdn/{media_id}"}).encode(),
        "application/json",
    )
    provider.files[f"/whatsapp-cdn/{media_id}"] = (jpeg, "image/jpeg")
    provider.files[f"/bot{BOT_TOKEN}/getFile?file_id={file_id}"] = (
        json.dumps({"ok": True, "result": {"file_path": f"documents/{file_id}.pdf"}}).encode(),
        "application/json",
    )
    provider.files[f"/file/bot{BOT_TOKEN}/documents/{file_id}.pdf"] = (document, "application/pdf")
    wa_id = f"55119{uuid.uuid4().int % 10**8:08d}"
    whatsapp = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA1",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "1555",
                                "phone_number_id": "PNID1",
                            },
                            "contacts": [{"profile": {"name": "Maria"}, "wa_id": wa_id}],
                            "messages": [
                                {
                                    "from": wa_id,
                                    "id": f"wamid.{uuid.uuid4().hex}",
                                    "timestamp": "1795400001",
                                    "type": "image",
                                    "image": {"id": media_id, "mime_type": "image/jpeg"},
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }
    user = uuid.uuid4().int % 10**9
    telegram = {
        "update_id": uuid.uuid4().int % 10**9,
        "message": {
            "message_id": 7,
            "date": 1795400001,
            "from": {"id": user, "first_name": "Yuki"},
            "chat": {"id": user, "type": "private"},
            "document": {"file_id": file_id, "file_name": "receipt.pdf", "file_size": 17},
        },
    }
    async with httpx.AsyncClient(timeout=15) as client:
        body = json.dumps(whatsapp).encode()
        digest = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        accepted = await client.post(
            f"{stack.url('ingest-chat')}/v1/meta/{TENANT}/webhook",
            content=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"},
        )
        assert accepted.status_code == 200, accepted.text
        accepted = await client.post(
            f"{stack.url('ingest-chat')}/v1/telegram/{TENANT}/webhook",
            json=telegram,
            headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET},
        )
        assert accepted.status_code == 200, accepted.text

        entry = await only_entry(client, stack, agent, f"whatsapp_id:{wa_id}")
        got = await download(client, stack, agent, entry["id"])
        assert got.status_code == 200, got.text
        assert got.content == jpeg
        fetched = [r for r in provider.requests if media_id in r["path"]]
        assert {r["headers"]["Authorization"] for r in fetched} == {f"Bearer {WHATSAPP_TOKEN}"}

        entry = await only_entry(client, stack, agent, f"telegram_user_id:{user}")
        got = await download(client, stack, agent, entry["id"])
        assert got.status_code == 200, got.text
        assert got.content == document
        assert 'filename="receipt.pdf"' in got.headers["content-disposition"]
