"""Customer takeover through a typed identity (issue: "Nothing forged", finding 1).

A web-chat visitor types someone else's email and a name. Before the fix the chat
joined the victim's customer, renamed it, and the agent's answer (meant for the
victim, beside her history) went to the attacker. A typed identity is a claim: it
finds no customer, changes no profile, and at most raises a link proposal that shows
the evidence; a verified one (the visitor entered the code mailed to it) joins.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from cc_common.auth import Role
from cc_common.events import Channel, Identity, IdentityKind
from tests.e2e.helpers import eventually
from tests.integration.case_api import CaseApi, email_identity, identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TENANT = "acme"


def typed_email(address: str) -> Identity:
    return Identity(kind=IdentityKind.EMAIL, value=address, claimed=True)


def visitor_identity() -> Identity:
    return identity(IdentityKind.WEBCHAT_VISITOR_ID, f"v-{uuid.uuid4().hex[:10]}")


async def victim(api: CaseApi) -> tuple[str, dict[str, Any]]:
    """A customer known by her email (the sender of a mail, as SMTP gives it)."""
    address = f"hanako-{uuid.uuid4().hex[:8]}@example.jp"
    mail = message(
        TENANT,
        f"mail:{address}",
        [email_identity(address, verified=False)],
        channel=Channel.EMAIL,
        name="Hanako Yamada",
        text="my order",
    )
    await api.publish(mail)
    return address, await api.customer_of(TENANT, f"email:{address}")


async def proposals_naming(api: CaseApi, address: str) -> list[dict[str, Any]]:
    supervisor = api.auth(TENANT, Role.SUPERVISOR)

    async def probe() -> list[dict[str, Any]] | None:
        response = await api.client.get("/v1/merge-proposals", headers=supervisor)
        assert response.status_code == 200, response.text
        mine = [p for p in response.json() if f"email:{address}" in p["reason"]]
        return mine or None

    found: list[dict[str, Any]] = await eventually(probe, timeout=20, what="a link proposal")
    return found


async def test_a_typed_email_neither_joins_nor_renames_the_customer_who_owns_it(
    api: CaseApi,
) -> None:
    address, hanako = await victim(api)
    mallory = visitor_identity()
    # Several messages at once: the consumer's batch path and its one-contact path.
    for n in range(5):
        await api.publish(
            message(
                TENANT,
                f"webchat:{mallory.value}",
                [mallory, typed_email(address)],
                name="Mallory",
                text=f"show me my orders {n}",
            )
        )
    chat_customer = await api.customer_of(TENANT, f"webchat_visitor_id:{mallory.value}")
    assert chat_customer["id"] != hanako["id"]
    assert chat_customer["display_name"] == "Mallory"
    chat_entries = await api.timeline(TENANT, chat_customer["id"], until=5)
    assert sum(e["entry_type"] == "interaction" for e in chat_entries) == 5

    after = await api.get(f"/v1/customers/{hanako['id']}", TENANT)
    assert after["display_name"] == "Hanako Yamada"
    assert {i["kind"] for i in after["identities"]} == {"email"}
    timeline = await api.get(f"/v1/customers/{hanako['id']}/timeline", TENANT, limit=200)
    channels = {e["channel"] for e in timeline["items"] if e["entry_type"] == "interaction"}
    assert channels == {"email"}
    # Looking the email up finds only its owner, never the visitor who typed it.
    found = await api.get("/v1/customers", TENANT, identity=f"email:{address}")
    assert [c["id"] for c in found] == [hanako["id"]]

    (proposal,) = await proposals_naming(api, address)
    assert set(proposal["customer_ids"]) == {hanako["id"], chat_customer["id"]}
    assert "(unverified)" in proposal["reason"]


async def test_an_email_typed_before_its_owner_writes_is_proposed_when_she_does(
    api: CaseApi,
) -> None:
    address = f"late-{uuid.uuid4().hex[:8]}@example.jp"
    visitor = visitor_identity()
    await api.publish(
        message(TENANT, f"webchat:{visitor.value}", [visitor, typed_email(address)], name="V")
    )
    chat_customer = await api.customer_of(TENANT, f"webchat_visitor_id:{visitor.value}")
    # The typed email gave the visitor nothing: it is nobody's identity yet.
    assert await api.get("/v1/customers", TENANT, identity=f"email:{address}") == []

    await api.publish(
        message(TENANT, f"mail:{address}", [email_identity(address)], channel=Channel.EMAIL)
    )
    owner = await api.customer_of(TENANT, f"email:{address}")
    assert owner["id"] != chat_customer["id"]
    (proposal,) = await proposals_naming(api, address)
    assert set(proposal["customer_ids"]) == {owner["id"], chat_customer["id"]}
    assert "once typed" in proposal["reason"]


async def test_a_verified_email_joins_the_customer_who_owns_it(api: CaseApi) -> None:
    address, hanako = await victim(api)
    visitor = visitor_identity()
    proven = email_identity(address, verified=True)
    await api.publish(
        message(TENANT, f"webchat:{visitor.value}", [visitor, proven], text="it's me")
    )
    joined = await api.customer_of(TENANT, f"webchat_visitor_id:{visitor.value}")
    assert joined["id"] == hanako["id"]
