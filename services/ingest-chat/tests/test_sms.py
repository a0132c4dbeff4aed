"""Twilio messaging webhooks (pure)."""

from __future__ import annotations

import pytest

from cc_common.events import IdentityKind, InteractionKind
from ingest_chat.domain.sms import InvalidSmsWebhook, sms_event

INCOMING = {
    "MessageSid": "SM0123456789abcdef0123456789abcdef",
    "AccountSid": "AC" + "0" * 32,
    "From": "+819012345678",
    "To": "+81312345678",
    "Body": "予約を変更したい",
    "NumMedia": "1",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC/Messages/SM/Media/ME1",
    "MediaContentType0": "image/jpeg",
}


def test_an_incoming_sms_with_media() -> None:
    inbound = sms_event(INCOMING)
    assert inbound is not None
    assert inbound.kind is InteractionKind.MESSAGE
    assert inbound.conversation_key == "sms:+81312345678:+819012345678"
    assert (inbound.identities[0].kind, inbound.identities[0].value) == (
        IdentityKind.PHONE,
        "+819012345678",
    )
    assert inbound.content is not None
    assert inbound.content.text == "予約を変更したい"
    assert inbound.content.attachments[0].content_type == "image/jpeg"


def test_a_status_callback_updates_our_message() -> None:
    status = {
        "MessageSid": "SMfeed",
        "MessageStatus": "delivered",
        "From": "+81312345678",
        "To": "+819012345678",
    }
    update = sms_event(status)
    assert update is not None
    assert update.kind is InteractionKind.STATUS
    assert update.provider_ids == {"status_of": "SMfeed", "delivery": "delivered"}
    assert update.identities[0].value == "+819012345678"  # the customer, not us
    assert sms_event({**status, "MessageStatus": "queued"}) is None


def test_an_undelivered_sms_keeps_twilios_error_code() -> None:
    # Twilio's status callback for an undelivered message (ErrorCode 30003: unreachable).
    update = sms_event(
        {
            "SmsSid": "SM1342fe1b2c904d1ab04f0fc7a58abca9",
            "SmsStatus": "undelivered",
            "MessageStatus": "undelivered",
            "ErrorCode": "30003",
            "To": "+15558675310",
            "MessageSid": "SM1342fe1b2c904d1ab04f0fc7a58abca9",
            "AccountSid": "AC" + "1" * 32,
            "From": "+15017122661",
            "ApiVersion": "2010-04-01",
        }
    )
    assert update is not None
    assert update.provider_ids["delivery"] == "undelivered"
    assert update.provider_ids["error_code"] == "30003"


def test_forms_that_are_not_twilio_webhooks() -> None:
    with pytest.raises(InvalidSmsWebhook):
        sms_event({"Body": "hi"})
    with pytest.raises(InvalidSmsWebhook):
        sms_event({**INCOMING, "From": "not a number"})
