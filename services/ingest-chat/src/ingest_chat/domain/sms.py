"""Twilio Programmable Messaging (SMS/MMS) webhooks (pure).

Incoming messages and status callbacks are form posts signed with
``X-Twilio-Signature`` (checked by the route with the shared helper). A status
callback (``MessageStatus`` without a ``Body``) updates the message it is about.
"""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers

from cc_common.events import (
    AttachmentRef,
    Channel,
    Content,
    Identity,
    IdentityKind,
    InteractionKind,
)
from cc_common.shapes import malformed_as
from ingest_chat.domain.messaging import Inbound, from_epoch, status_update

_STATUSES = {"sent", "delivered", "undelivered", "failed", "read"}


class InvalidSmsWebhook(ValueError):
    """The form is not a Twilio messaging webhook."""


@malformed_as(InvalidSmsWebhook)
def sms_event(form: Mapping[str, str]) -> Inbound | None:
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        raise InvalidSmsWebhook("MessageSid is missing")
    customer, ours = form.get("From", ""), form.get("To", "")
    status = form.get("MessageStatus") or form.get("SmsStatus") or ""
    if "Body" not in form and status:
        if status not in _STATUSES:
            return None  # queued, sending, accepted: nothing to show yet
        # On a status callback of our message, the customer is the recipient.
        return status_update(
            channel=Channel.SMS,
            provider="twilio-sms",
            event_key=f"{status}:{sid}",
            conversation_key=f"sms:{customer}:{ours}",
            identities=_phone(ours),
            of_message=sid,
            status=status,
            at=from_epoch(None),
            error_code=form.get("ErrorCode") or None,
            error_reason=form.get("ErrorMessage") or None,
        )
    media = []
    for index in range(min(_int(form.get("NumMedia")), 10)):
        url = form.get(f"MediaUrl{index}")
        if url:
            kind = form.get(f"MediaContentType{index}", "application/octet-stream")
            media.append(AttachmentRef(blob_id=url, content_type=kind, size=0))
    return Inbound(
        channel=Channel.SMS,
        provider="twilio-sms",
        event_key=sid,
        message_id=sid,
        conversation_key=f"sms:{ours}:{customer}",
        identities=_phone(customer),
        kind=InteractionKind.MESSAGE,
        content=Content(text=form.get("Body", "")[:1600] or None, attachments=tuple(media)),
        at=from_epoch(None),
    )


def _phone(number: str) -> tuple[Identity, ...]:
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidSmsWebhook(f"not an E.164 number: {number!r}") from exc
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return (Identity(kind=IdentityKind.PHONE, value=e164, verified=True),)


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0
