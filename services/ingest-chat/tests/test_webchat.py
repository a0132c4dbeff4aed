"""Visitor messages and conversation tokens (pure and adapter)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cc_common.events import Channel, IdentityKind, PartyRole
from ingest_chat.adapters.visitor_tokens import InvalidVisitorToken, VisitorTokens
from ingest_chat.domain.email_fallback import fallback_request
from ingest_chat.domain.webchat import VisitorConversation, visitor_left, visitor_message
from ingest_chat.domain.webchat_wire import AgentMessage

CONVERSATION = VisitorConversation(
    tenant_id="acme", conversation_id="c1", visitor_id="v1", name="Ana", email="Ana@Example.com"
)
SECRET = "a-visitor-token-secret-of-32-bytes-or-more"


def test_a_resent_message_is_the_same_event() -> None:
    when = datetime.now(UTC)
    first = visitor_message(CONVERSATION, client_message_id="m1", text="hi", sent_at=when)
    again = visitor_message(CONVERSATION, client_message_id="m1", text="hi", sent_at=when)
    other = visitor_message(CONVERSATION, client_message_id="m2", text="hi", sent_at=when)
    assert first.id == again.id
    assert first.id != other.id


def test_the_visitor_is_the_customer_with_our_id_verified() -> None:
    event = visitor_message(
        CONVERSATION, client_message_id="m1", text="hi", sent_at=datetime.now(UTC)
    )
    customer = event.data.customer()
    assert customer is not None
    assert customer.role is PartyRole.CUSTOMER
    by_kind = {i.kind: i for i in customer.identities}
    assert by_kind[IdentityKind.WEBCHAT_VISITOR_ID].verified
    assert by_kind[IdentityKind.EMAIL].value == "ana@example.com"
    assert not by_kind[IdentityKind.EMAIL].verified
    assert by_kind[IdentityKind.EMAIL].claimed  # typed: it finds no customer
    assert event.data.conversation_key == "webchat:c1"


def test_a_verified_email_is_no_longer_a_claim_and_survives_the_token() -> None:
    tokens = VisitorTokens(SECRET, ttl_seconds=60)
    proven = tokens.verify(tokens.issue(CONVERSATION.with_verified("email")))
    assert proven.email_verified
    event = visitor_message(proven, client_message_id="m1", text="hi", sent_at=datetime.now(UTC))
    customer = event.data.customer()
    assert customer is not None
    email = next(i for i in customer.identities if i.kind is IdentityKind.EMAIL)
    assert email.verified
    assert not email.claimed
    assert not tokens.verify(tokens.issue(CONVERSATION)).email_verified


def test_leaving_cancels_waiting_work_once() -> None:
    when = datetime.now(UTC)
    left = visitor_left(CONVERSATION, left_at=when)
    assert left.data.routing_hints.cancels_work
    assert not left.data.routing_hints.needs_human
    assert left.data.conversation_key == "webchat:c1"
    assert visitor_left(CONVERSATION, left_at=when).id == left.id
    named_like_it = visitor_message(
        CONVERSATION, client_message_id="closed", text="x", sent_at=when
    )
    assert named_like_it.id != left.id, "a message id cannot collide with the close event"


def test_tokens_round_trip_and_refuse_tampering() -> None:
    tokens = VisitorTokens(SECRET, ttl_seconds=60)
    token = tokens.issue(CONVERSATION)
    assert tokens.verify(token) == CONVERSATION
    with pytest.raises(InvalidVisitorToken):
        tokens.verify(token[:-2] + "xx")
    with pytest.raises(InvalidVisitorToken):
        VisitorTokens(SECRET + "-other", ttl_seconds=60).verify(token)
    with pytest.raises(InvalidVisitorToken):
        VisitorTokens(SECRET, ttl_seconds=-1).verify(
            VisitorTokens(SECRET, ttl_seconds=-10).issue(CONVERSATION)
        )


def test_unseen_messages_become_one_email_reply_on_the_chat_conversation() -> None:
    at = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
    messages = [
        AgentMessage("r2", 2, "It leaves today.", "emi", at),
        AgentMessage("r1", 1, "Let me check.", "emi", at),
    ]
    first = fallback_request("acme", "c1", "Visitor@Example.com", messages)
    again = fallback_request("acme", "c1", "visitor@example.com", list(reversed(messages)))
    request = first.data
    assert request.channel is Channel.EMAIL
    assert request.conversation_key == "webchat:c1", "an answer by email joins the chat"
    assert request.recipient.value == "visitor@example.com"
    text = request.content.text or ""
    assert text.index("Let me check.") < text.index("It leaves today."), "in order"
    assert (first.id, request.reply_id) == (again.id, again.data.reply_id), "the same email"
