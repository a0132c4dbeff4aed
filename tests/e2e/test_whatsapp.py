"""WhatsApp end to end: a signed Cloud API webhook onto the customer's timeline (with
their phone number in E.164), an agent's reply to a local Graph API stand-in, the
delivery receipt recorded on the reply, and the 24-hour window: free text refused
with a clear error after it, a template accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline
from tests.e2e.provider_stand_in import ProviderStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

APP_SECRET = "meta-app-secret-0123456789abcdef"


def graph_answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
        "messages": [{"id": f"wamid.SENT{uuid.uuid4().hex[:8]}"}],
    }


@pytest.fixture(scope="module")
def wa_stack(
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, ProviderStandIn]]:
    graph = ProviderStandIn(graph_answer)
    apps = {
        "acme": {
            "app_secrets": [APP_SECRET],
            "verify_tokens": ["verify-me"],
            "whatsapp_token": "wa-token",
            "whatsapp_phone_number_id": "PNID1",
            "graph_base_url": graph.url,
        }
    }
    try:
        with running_stack(
            infra,
            tmp_path_factory.mktemp("whatsapp-stack"),
            extra_env={"CHAT_META": json.dumps(apps)},
        ) as stack:
            yield stack, graph
    finally:
        graph.close()


def notification(value: dict[str, Any]) -> bytes:
    document = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA1", "changes": [{"field": "messages", "value": value}]}],
    }
    return json.dumps(document).encode()


def message(wa_id: str, text: str, *, at: float, phone_number_id: str = "PNID1") -> bytes:
    return notification(
        {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": phone_number_id},
            "contacts": [{"profile": {"name": "Maria Silva"}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": f"wamid.{uuid.uuid4().hex}",
                    "timestamp": str(int(at)),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


def signed(body: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


async def test_whatsapp_round_trip_receipts_and_the_24_hour_window(
    wa_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, graph = wa_stack
    hook = f"{stack.url('ingest-chat')}/v1/meta/acme/webhook"
    case_url = stack.url("case")
    agent = token(stack, "acme", Role.AGENT, subject="rita")
    auth = {"Authorization": f"Bearer {agent}"}
    wa_id = f"55119{random.randint(10_000_000, 99_999_999)}"

    async with httpx.AsyncClient(timeout=10) as client:
        handshake = await client.get(
            hook,
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "verify-me",
                "hub.challenge": "42",
            },
        )
        assert (handshake.status_code, handshake.text) == (200, "42")
        body = message(wa_id, "Olá, preciso de ajuda", at=time.time())
        forged = await client.post(hook, content=body, headers={"X-Hub-Signature-256": "sha256=0"})
        assert forged.status_code == 401
        assert (await client.post(hook, content=body, headers=signed(body))).status_code == 200

        async def customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, agent, f"phone:+{wa_id}")

        found = await eventually(customer, what="the WhatsApp customer by phone")
        assert {"kind": "whatsapp_id", "value": wa_id} in found["identities"]

        async def entries(predicate: Any, what: str) -> list[dict[str, Any]]:
            async def probe() -> list[dict[str, Any]]:
                timeline = await full_timeline(client, case_url, agent, found["id"])
                return [e for e in timeline if predicate(e)]

            return await eventually(probe, what=what)

        (inbound,) = await entries(lambda e: e["entry_type"] == "interaction", "the message")
        reply = await client.post(
            f"{case_url}/v1/cases/{inbound['case_id']}/replies",
            json={"text": "Olá Maria, como posso ajudar?"},
            headers={**auth, "Idempotency-Key": "wa-1"},
        )
        assert reply.status_code == 202, reply.text

        async def sent_to_graph() -> list[dict[str, Any]]:
            return graph.sent("/v21.0/PNID1/messages")

        (request,) = await eventually(sent_to_graph, what="the reply at the Graph stand-in")
        assert request["body"]["to"] == wa_id
        assert request["body"]["text"] == {"body": "Olá Maria, como posso ajudar?"}
        assert request["headers"]["Authorization"] == "Bearer wa-token"

        (settled,) = await entries(
            lambda e: e["entry_type"] == "reply" and e["reply"]["status"] == "sent", "sent"
        )
        wamid = settled["reply"]["provider_message_id"]
        receipt = notification(
            {
                "messaging_product": "whatsapp",
                "metadata": {"phone_number_id": "PNID1"},
                "statuses": [
                    {
                        "id": wamid,
                        "status": "delivered",
                        "timestamp": str(int(time.time())),
                        "recipient_id": wa_id,
                    }
                ],
            }
        )
        assert (
            await client.post(hook, content=receipt, headers=signed(receipt))
        ).status_code == 200
        await entries(
            lambda e: e["entry_type"] == "reply" and "delivered" in e["reply"].get("delivery", {}),
            "the delivery receipt on the reply",
        )

        # A customer who last wrote two days ago: only a template may be sent.
        old_id = f"55119{random.randint(10_000_000, 99_999_999)}"
        old = message(old_id, "Oi", at=time.time() - 2 * 86_400)
        assert (await client.post(hook, content=old, headers=signed(old))).status_code == 200

        async def old_customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, agent, f"whatsapp_id:{old_id}")

        other = await eventually(old_customer, what="the second customer")

        async def old_case() -> list[dict[str, Any]]:
            response = await client.get(
                f"{case_url}/v1/customers/{other['id']}/cases", headers=auth
            )
            cases: list[dict[str, Any]] = response.json()
            return [c for c in cases if c.get("reply_to")]

        (case,) = await eventually(old_case, what="the second customer's case")
        refused = await client.post(
            f"{case_url}/v1/cases/{case['id']}/replies", json={"text": "Oi!"}, headers=auth
        )
        assert refused.status_code == 422
        assert "template" in refused.json()["detail"]
        templated = await client.post(
            f"{case_url}/v1/cases/{case['id']}/replies",
            json={"text": "(template)", "template": {"name": "follow_up", "language": "pt_BR"}},
            headers=auth,
        )
        assert templated.status_code == 202, templated.text

        async def template_sent() -> list[dict[str, Any]]:
            return [r for r in graph.sent("/v21.0/PNID1/messages") if r["body"]["to"] == old_id]

        (template,) = await eventually(template_sent, what="the template at the stand-in")
        assert template["body"]["type"] == "template"
        assert template["body"]["template"]["name"] == "follow_up"
        assert template["body"]["template"]["language"] == {"code": "pt_BR"}
