"""MIME parsing with the standard library's modern email API (pure).

The walking skeleton extracts sender, subject, ids and the text body; the email
issue adds charsets, HTML sanitising, attachments, quoting and threading.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

_MSG_ID = re.compile(r"<[^<>\s]+>")


class UnreadableMessage(ValueError):
    """Not a mail message at all (no headers we can use)."""


@dataclass(frozen=True, slots=True)
class ParsedEmail:
    message_id: str
    sender_address: str
    sender_name: str | None
    subject: str | None
    text: str | None
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    defects: tuple[str, ...]

    @property
    def thread_root(self) -> str:
        """The first message of the thread, as far as the headers tell."""
        if self.references:
            return self.references[0]
        return self.in_reply_to or self.message_id


def parse_message(raw: bytes) -> ParsedEmail:
    """Extract what the timeline needs from raw RFC 5322 bytes."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    sender = _first_address(message, "from")
    if sender is None:
        raise UnreadableMessage("the message has no usable From address")
    message_id = _first_id(message.get("message-id")) or _synthetic_id(raw)
    defects = [type(d).__name__ for d in message.defects]
    return ParsedEmail(
        message_id=message_id,
        sender_address=sender.addr_spec.lower(),
        sender_name=sender.display_name or None,
        subject=str(message["subject"]) if message["subject"] is not None else None,
        text=_text_body(message, defects),
        date=_date(message),
        in_reply_to=_first_id(message.get("in-reply-to")),
        references=tuple(_MSG_ID.findall(str(message.get("references", "")))),
        defects=tuple(defects),
    )


def _first_address(message: EmailMessage, header: str) -> Address | None:
    try:
        value = message[header]
    except (ValueError, IndexError):
        return None
    addresses = getattr(value, "addresses", ()) if value is not None else ()
    return next((a for a in addresses if a.addr_spec and "@" in a.addr_spec), None)


def _first_id(value: object) -> str | None:
    found = _MSG_ID.findall(str(value or ""))
    return found[0] if found else None


def _synthetic_id(raw: bytes) -> str:
    return f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@ingest.invalid>"


def _text_body(message: EmailMessage, defects: list[str]) -> str | None:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return None
    try:
        content = body.get_content()
    except (LookupError, ValueError) as exc:
        defects.append(f"undecodable body: {exc}")
        payload = body.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None
    return content.strip() if isinstance(content, str) else None


def _date(message: EmailMessage) -> datetime | None:
    try:
        value = message["date"]
        return parsedate_to_datetime(str(value)) if value is not None else None
    except (TypeError, ValueError, IndexError):
        return None
