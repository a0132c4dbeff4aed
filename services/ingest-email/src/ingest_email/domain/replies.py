"""Composing an agent's reply as an email the customer's client threads (pure)."""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from cc_common.events import OutboundRequested
from ingest_email.domain.case_tokens import case_token, with_token

MAX_REFERENCES = 20
"""Long threads keep the root and the most recent ids (RFC 5322 §3.6.4 allows trimming)."""
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv|antw|返信)\s*[:\uff1a]", re.IGNORECASE)


def reply_message_id(reply_id: str, from_address: str) -> str:
    """The Message-ID of a reply: the same reply always has the same id."""
    return f"<reply-{reply_id}@{from_address.rpartition('@')[2]}>"


def reply_subject(subject: str | None, case_id: str | None, *, answering: bool) -> str:
    text = (subject or "").strip() or "Your request"
    if answering and not _REPLY_PREFIX.match(text):
        text = f"Re: {text}"
    return with_token(text, case_token(case_id)) if case_id else text


def thread_references(parent_references: tuple[str, ...], parent_id: str | None) -> tuple[str, ...]:
    """References of a reply: the parent's chain plus the parent, trimmed in the middle."""
    chain = [*parent_references]
    if parent_id and parent_id not in chain:
        chain.append(parent_id)
    chain = list(dict.fromkeys(chain))
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return tuple(chain)


def compose_reply(
    request: OutboundRequested,
    *,
    from_address: str,
    from_name: str | None,
    subject: str,
    message_id: str,
    references: tuple[str, ...],
    sent_at: datetime,
) -> EmailMessage:
    """The reply as a MIME message (text, plus HTML when the agent wrote some)."""
    message = EmailMessage()
    message["From"] = Address(display_name=from_name or "", addr_spec=from_address)
    message["To"] = request.recipient.value
    message["Subject"] = subject
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    if request.in_reply_to:
        message["In-Reply-To"] = request.in_reply_to
    if references:
        message["References"] = " ".join(references)
    # Our own mail must never come back in as new work (see intake loop checks).
    message["X-Loop"] = from_address
    # Ask Exchange not to answer with out-of-office notices; bounces still come back.
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    message.set_content(request.content.text or "")
    if request.content.html:
        message.add_alternative(request.content.html, subtype="html")
    return message
