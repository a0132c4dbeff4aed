"""A typed phone number is proven by a code sent to it by SMS (issue "Nothing forged",
finding 1: a verification flow for a claimed address *or number*). Until then the
number finds no customer; once proven, the chat joins the customer the number is."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cc_common.auth import Role
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer
from tests.e2e.provider_stand_in import ProviderStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TENANT = "acme"
ACCOUNT = "AC" + "0" * 32
NUMBER = "+819087654321"


@pytest.fixture(scope="module")
def sms_stack(
    infra: StackConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, ProviderStandIn]]:
    twilio = ProviderStandIn(lambda path, body: {"sid": f"SM{uuid.uuid4().hex}"})
    account = {
        "auth_tokens": ["phone-verification-token"],
        "account_sid": ACCOUNT,
        "from_number": "+81312345678",
        "api_base_url": twilio.url,
    }
    env = {"CHAT_TWILIO_SMS": json.dumps({TENANT: account})}
    try:
        with running_stack(infra, tmp_path_factory.mktemp("sms"), extra_env=env) as stack:
            yield stack, twilio
    finally:
        twilio.close()


async def test_a_visitor_proves_a_typed_number_with_a_code_by_sms(
    sms_stack: tuple[Stack, ProviderStandIn],
) -> None:
    stack, twilio = sms_stack
    chat = stack.url("ingest-chat")
    agent = token(stack, TENANT, Role.AGENT)
    base = f"{chat}/v1/webchat/conversations/current/phone-verification"
    async with httpx.AsyncClient(timeout=10) as client:
        visitor: dict[str, Any] = (
            await client.post(
                f"{chat}/v1/webchat/conversations", json={"tenant_id": TENANT, "phone": NUMBER}
            )
        ).json()
        auth = {"Authorization": f"Bearer {visitor['token']}"}
        assert (await client.post(base, headers=auth)).status_code == 202

        async def texted() -> list[dict[str, Any]]:
            return [r for r in twilio.sent(f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json")]

        (sms,) = await eventually(texted, what="the code by SMS")
        assert sms["body"]["To"] == NUMBER
        code = re.search(r"\b(\d{6})\b", sms["body"]["Body"])
        assert code is not None
        confirmed = await client.post(f"{base}/confirm", json={"code": code.group(1)}, headers=auth)
        assert confirmed.status_code == 200, confirmed.text
        proven = {"Authorization": f"Bearer {confirmed.json()['token']}"}
        sent = await client.post(
            f"{chat}/v1/webchat/messages",
            json={"client_message_id": "m1", "text": "hello"},
            headers=proven,
        )
        assert sent.status_code == 202
        # Proven, the number is the customer's identity (a claim would find nobody).
        customer = await eventually(
            lambda: find_customer(client, stack.url("case"), agent, f"phone:{NUMBER}"),
            what="the customer by the proven number",
        )
        assert {"kind": "webchat_visitor_id", "value": visitor["visitor_id"]} in customer[
            "identities"
        ]
        again = await client.post(base, headers=proven)
        assert again.status_code == 409  # proven already
