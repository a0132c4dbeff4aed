"""LINE end to end: signed webhooks onto the customer's timeline (a redelivery once, a
forgery refused), and an agent's reply through the case API to a local LINE stand-in,
with the reply token while it is fresh."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import Stack, StackConfig
from contactcenter_cli.webchat_client import visitor_socket
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline
from tests.e2e.provider_stand_in import ProviderStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

SECRET = "line-channel-secret-0123456789abcdef"
ACCESS_TOKEN = "line-access-token-0123456789"


@pytest.fixture(scope="module")
def line_stack(
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, ProviderStandIn]]:
    stand_in = ProviderStandIn(lambda path, body: {"sentMessages": [{"id": "5000000001"}]})
    channels = {
        "acme": {
            "channel_secrets": [SECRET],
            "access_token": ACCESS_TOKEN,
            "api_base_url": stand_in.url,
        }
    }
    try:
        with running_stack(
            infra,
            tmp_path_factory.mktemp("line-stack"),
            extra_env={"CHAT_LINE": json.dumps(channels)},
        ) as stack:
            yield stack, stand_in
    finally:
        stand_in.close()


def webhook(user_id: str, text: str) -> bytes:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": 1795400000000,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": uuid.uuid4().hex.upper()[:26],
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"token-{uuid.uuid4().hex}",
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": text},
    }
    return json.dumps({"destination": "U0", "events": [event]}).encode()


def signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"X-Line-Signature": base64.b64encode(digest).decode()}


async def test_line_message_to_timeline_and_reply_back_to_line(
    line_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, stand_in = line_stack
    hook = f"{stack.url('ingest-chat')}/v1/line/acme/webhook"
    case_url = stack.url("case")
    agent = token(stack, "acme", Role.AGENT, subject="kenji")
    user_id = "U" + uuid.uuid4().hex
    body = webhook(user_id, "注文した商品がまだ届きません")

    async with httpx.AsyncClient(timeout=10) as client:
        forged = await client.post(hook, content=body, headers=signed(body, "wrong-secret"))
        assert forged.status_code == 401
        unsigned = await client.post(hook, content=body)
        assert unsigned.status_code == 401
        for _ in range(2):  # LINE redelivers: one event
            accepted = await client.post(hook, content=body, headers=signed(body))
            assert accepted.status_code == 200, accepted.text

        async def customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, agent, f"line_user_id:{user_id}")

        found = await eventually(customer, what="the LINE customer")

        async def messages() -> list[dict[str, Any]]:
            timeline = await full_timeline(client, case_url, agent, found["id"])
            return [e for e in timeline if e["entry_type"] == "interaction"]

        (entry,) = await eventually(messages, what="the LINE message")
        assert entry["channel"] == "line"
        assert entry["summary"] == "注文した商品がまだ届きません"

        async def replied() -> bool:
            # 409 for the moment between the message on the timeline and the case
            # knowing whom to answer; the idempotency key makes the retry safe.
            reply = await client.post(
                f"{case_url}/v1/cases/{entry['case_id']}/replies",
                json={"text": "ご不便をおかけしております。確認いたします。"},
                headers={"Authorization": f"Bearer {agent}", "Idempotency-Key": "line-1"},
            )
            assert reply.status_code in (202, 409), reply.text
            return reply.status_code == 202

        await eventually(replied, what="the reply accepted")

        async def delivered() -> list[dict[str, Any]]:
            return stand_in.sent("/v2/bot/message/")

        (sent,) = await eventually(delivered, what="the reply at the LINE stand-in")
        # The user wrote a moment ago: the free reply API with their reply token.
        assert sent["path"] == "/v2/bot/message/reply"
        assert sent["body"]["replyToken"] == json.loads(body)["events"][0]["replyToken"]
        assert sent["body"]["messages"] == [
            {"type": "text", "text": "ご不便をおかけしております。確認いたします。"}
        ]
        assert sent["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"

        async def settled() -> list[dict[str, Any]]:
            timeline = await full_timeline(client, case_url, agent, found["id"])
            return [
                e for e in timeline if e["entry_type"] == "reply" and e["reply"]["status"] == "sent"
            ]

        (done,) = await eventually(settled, what="the reply marked sent")
        assert done["reply"]["provider_message_id"] == "5000000001"


async def test_a_line_user_and_a_web_chat_visitor_linked_by_an_agent_share_one_timeline(
    line_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, _ = line_stack
    chat, case_url = stack.url("ingest-chat"), stack.url("case")
    agent = token(stack, "acme", Role.AGENT, subject="kenji")
    auth = {"Authorization": f"Bearer {agent}"}
    user_id = "U" + uuid.uuid4().hex
    email = f"aiko-{uuid.uuid4().hex[:6]}@example.jp"
    body = webhook(user_id, "LINEから失礼します")

    async with httpx.AsyncClient(timeout=10) as client:
        assert (
            await client.post(f"{chat}/v1/line/acme/webhook", content=body, headers=signed(body))
        ).status_code == 200

        async def line_customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, agent, f"line_user_id:{user_id}")

        customer = await eventually(line_customer, what="the LINE customer")
        # The agent learns the LINE user's email and links it.
        linked = await client.post(
            f"{case_url}/v1/customers/{customer['id']}/identities",
            json={"kind": "email", "value": email.upper()},
            headers=auth,
        )
        assert linked.status_code == 201, linked.text
        assert {"kind": "email", "value": email} in linked.json()["identities"]

        started = await client.post(
            f"{chat}/v1/webchat/conversations", json={"tenant_id": "acme", "email": email}
        )
        visitor = started.json()["token"]
        async with visitor_socket(chat, visitor) as socket:
            await socket.send(
                json.dumps(
                    {"type": "message", "client_message_id": "w1", "text": "ウェブからも質問です"}
                )
            )
            # The typed email is a claim: a proposal, which a supervisor accepts.
            supervisor = {"Authorization": f"Bearer {token(stack, 'acme', Role.SUPERVISOR)}"}

            async def proposed() -> list[dict[str, Any]]:
                listed = await client.get(f"{case_url}/v1/merge-proposals", headers=supervisor)
                return [p for p in listed.json() if customer["id"] in p["customer_ids"]]

            (proposal,) = await eventually(proposed, what="a proposal for the typed email")
            accepted = await client.post(
                f"{case_url}/v1/merge-proposals/{proposal['id']}/accept", headers=supervisor
            )
            assert accepted.status_code == 201, accepted.text

            async def both() -> list[dict[str, Any]]:
                current = await line_customer()
                assert current is not None
                timeline = await full_timeline(client, case_url, agent, current["id"])
                found = [e for e in timeline if e["entry_type"] == "interaction"]
                return found if {e["channel"] for e in found} == {"line", "webchat"} else []

            entries = await eventually(both, what="LINE and web chat on one timeline")
            web = next(e for e in entries if e["channel"] == "webchat")

            async def replied_on_the_web() -> bool:
                reply = await client.post(
                    f"{case_url}/v1/cases/{web['case_id']}/replies",
                    json={"text": "ウェブでお答えします"},
                    headers={**auth, "Idempotency-Key": "web-1"},
                )
                assert reply.status_code in (202, 409), reply.text
                return reply.status_code == 202

            await eventually(replied_on_the_web, what="the web reply accepted")
            async with asyncio.timeout(20):
                while (frame := json.loads(await socket.recv()))["type"] != "agent_message":
                    pass
            assert frame["text"] == "ウェブでお答えします"

        customer = await eventually(line_customer, what="the customer after the merge")
        other = await client.post(
            f"{case_url}/v1/customers/{customer['id']}/identities",
            json={"kind": "line_user_id", "value": "Usomeone-else"},
            headers=auth,
        )
        assert other.status_code == 201
        stranger = webhook("Ustranger" + uuid.uuid4().hex, "hi")
        await client.post(
            f"{chat}/v1/line/acme/webhook", content=stranger, headers=signed(stranger)
        )
        stranger_id = json.loads(stranger)["events"][0]["source"]["userId"]

        async def stranger_customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, agent, f"line_user_id:{stranger_id}")

        await eventually(stranger_customer, what="another customer")
        taken = await client.post(
            f"{case_url}/v1/customers/{customer['id']}/identities",
            json={"kind": "line_user_id", "value": stranger_id},
            headers=auth,
        )
        assert taken.status_code == 409  # a merge, not a link
