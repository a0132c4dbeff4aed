"""Composing replies the customer's mail client threads (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cc_common.events import Channel, Content, Identity, IdentityKind, OutboundRequested
from ingest_email.domain.replies import (
    MAX_REFERENCES,
    compose_reply,
    reply_message_id,
    reply_subject,
    thread_references,
)

REPLY_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def test_the_same_reply_always_has_the_same_message_id() -> None:
    assert reply_message_id(str(REPLY_ID), "support@acme.example") == (
        f"<reply-{REPLY_ID}@acme.example>"
    )


def test_subjects_get_one_re_prefix_and_the_case_token() -> None:
    case_id = "1a2b3c4d-0000-5000-8000-000000000000"
    assert reply_subject("Invoice", case_id, answering=True) == "Re: Invoice [#C-1A2B3C4D]"
    assert reply_subject("RE: Invoice", case_id, answering=True) == "RE: Invoice [#C-1A2B3C4D]"
    assert reply_subject(None, None, answering=False) == "Your request"


def test_references_keep_the_root_and_the_latest_ids() -> None:
    chain = tuple(f"<m{i}@x>" for i in range(30))
    refs = thread_references(chain, "<parent@x>")
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "<m0@x>"
    assert refs[-1] == "<parent@x>"


def test_the_composed_reply_carries_threading_and_loop_headers() -> None:
    request = OutboundRequested(
        reply_id=REPLY_ID,
        channel=Channel.EMAIL,
        conversation_key="email:<first@example.org>",
        case_id="1a2b3c4d-0000-5000-8000-000000000000",
        agent_id="alice",
        recipient=Identity(kind=IdentityKind.EMAIL, value="sam@example.org"),
        content=Content(text="Fixed, thanks!", html="<p>Fixed, thanks!</p>"),
        in_reply_to="<first@example.org>",
    )
    message = compose_reply(
        request,
        from_address="support@acme.example",
        from_name="Acme Support",
        subject="Re: Invoice [#C-1A2B3C4D]",
        message_id="<reply-1@acme.example>",
        references=("<first@example.org>",),
        sent_at=datetime(2026, 11, 23, tzinfo=UTC),
    )
    assert message["In-Reply-To"] == "<first@example.org>"
    assert message["References"] == "<first@example.org>"
    assert message["Message-ID"] == "<reply-1@acme.example>"
    assert message["X-Loop"] == "support@acme.example"
    assert message["Auto-Submitted"] is None  # a person wrote it
    assert str(message["From"]) == "Acme Support <support@acme.example>"
    assert message.get_body(("plain",)).get_content().strip() == "Fixed, thanks!"  # type: ignore[union-attr]
    assert message.get_body(("html",)) is not None
