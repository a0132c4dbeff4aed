"""Who sees what live: agents their own work, supervisors the tenant, typing only from
the customer and only to the conversation's holder (pure)."""

from __future__ import annotations

import uuid
from typing import Literal

from case_service.domain.live_events import audience, needs_holder
from cc_common.auth import Principal, Role
from cc_common.events import Channel, ConversationTyping, typing_signal
from cc_common.events.envelope import Envelope


def principal(subject: str, *roles: Role, tenant: str = "acme") -> Principal:
    return Principal(subject=subject, tenant_id=tenant, roles=frozenset(roles))


def typing(
    party: Literal["customer", "agent"], tenant: str = "acme"
) -> Envelope[ConversationTyping]:
    return typing_signal(
        tenant,
        ConversationTyping(
            conversation_key=f"webchat:{uuid.uuid4()}",
            channel=Channel.WEBCHAT,
            party=party,
            agent_id="emi" if party == "agent" else None,
        ),
        source="test",
    )


def test_a_customer_typing_reaches_the_holder_and_supervisors_only() -> None:
    event = typing("customer")
    assert needs_holder(event) == event.data.conversation_key
    assert audience(principal("emi", Role.AGENT), event, holder="emi")
    assert not audience(principal("ken", Role.AGENT), event, holder="emi")
    assert not audience(principal("ken", Role.AGENT), event, holder=None)
    assert audience(principal("lead", Role.SUPERVISOR), event, holder=None)
    assert not audience(principal("lead", Role.SUPERVISOR, tenant="other"), event, holder="emi")


def test_an_agent_typing_is_for_the_visitor_not_for_other_agents() -> None:
    event = typing("agent")
    assert needs_holder(event) is None
    assert not audience(principal("emi", Role.AGENT), event, holder="emi")
    assert not audience(principal("lead", Role.SUPERVISOR), event)
