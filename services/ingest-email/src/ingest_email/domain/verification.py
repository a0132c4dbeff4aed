"""The mail carrying a one-time code to an address a web-chat visitor typed (pure).

It is not a reply: it threads onto no conversation and lands on no timeline (the code
must not sit where agents read), and ``Auto-Submitted`` keeps autoresponders quiet.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from cc_common.events import VerificationRequested


def code_mail(
    request: VerificationRequested, *, from_address: str, from_name: str | None, sent_at: datetime
) -> EmailMessage:
    minutes = request.minutes_left(sent_at)
    message = EmailMessage()
    message["From"] = Address(display_name=from_name or "", addr_spec=from_address)
    message["To"] = request.recipient.value
    message["Subject"] = f"Your verification code: {request.code}"
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = f"<code-{request.challenge_id}@{from_address.rpartition('@')[2]}>"
    message["Auto-Submitted"] = "auto-generated"
    message["X-Loop"] = from_address
    message.set_content(
        f"Your code is {request.code}. Enter it in the chat within {minutes} minutes"
        " to confirm this address is yours.\n\n"
        "If you did not ask for it, someone typed your address in our chat: ignore"
        " this email; nothing is linked to you without the code.\n"
    )
    return message
