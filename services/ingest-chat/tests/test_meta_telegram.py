"""Messenger, Instagram, WhatsApp and Telegram webhooks, from the documented shapes (pure)."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest

from cc_common.events import Channel, Content, Direction, IdentityKind, InteractionKind
from ingest_chat.domain import meta, telegram
from ingest_chat.domain.messaging import Inbound, interaction_event

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).parents[3] / "tests" / "corpus"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_key(events: list[Inbound]) -> dict[str, Inbound]:
    return {e.event_key: e for e in events}


def test_meta_signature_and_handshake() -> None:
    body = load("meta/whatsapp.json")
    good = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    assert meta.signature_valid(["app-secret"], body, good)
    assert meta.signature_valid(["new", "app-secret"], body, good)
    assert not meta.signature_valid(["app-secret"], body + b"x", good)
    assert not meta.signature_valid(["app-secret"], body, None)
    assert not meta.signature_valid(["app-secret"], body, good.removeprefix("sha256="))
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert meta.challenge_answer(params, ["vt"]) == "1158201444"
    assert meta.challenge_answer({**params, "hub.verify_token": "no"}, ["vt"]) is None
    assert meta.challenge_answer({**params, "hub.mode": "unsubscribe"}, ["vt"]) is None


def test_messenger_events() -> None:
    events = by_key(meta.meta_events(load("meta/messenger.json")))
    text = events["m_text1"]
    assert (text.channel, text.conversation_key) == (Channel.MESSENGER, "messenger:PAGE1:PSID1")
    assert text.identities[0].kind is IdentityKind.MESSENGER_PSID
    assert text.content is not None
    assert text.content.text == "Is my order shipped?"
    quick = events["m_quick1"].content
    assert quick is not None
    assert quick.text == "Track order [quick reply TRACK_ORDER]"
    image = events["m_image1"].content
    assert image is not None
    assert image.attachments[0].blob_id == "https://cdn.example/abc.jpg"
    assert "m_echo1" not in events  # our own send echoed back
    postback = events["m_postback1"].content
    assert postback is not None
    assert postback.text == "[postback] Talk to an agent AGENT"
    delivery = events["delivered:m_sent1"]
    assert delivery.kind is InteractionKind.STATUS
    assert delivery.provider_ids == {"status_of": "m_sent1", "delivery": "delivered"}
    assert not delivery.hints.needs_human


def test_instagram_uses_its_own_identity() -> None:
    (message,) = meta.meta_events(load("meta/instagram.json"))
    assert message.channel is Channel.INSTAGRAM
    assert message.identities[0].kind is IdentityKind.INSTAGRAM_ID
    assert message.conversation_key == "instagram:IGACCOUNT:IGSID9"


def test_whatsapp_messages_and_statuses() -> None:
    events = by_key(meta.meta_events(load("meta/whatsapp.json")))
    text = events["wamid.TEXT1"]
    assert text.display_name == "Maria Silva"
    assert text.conversation_key == "whatsapp:PNID1:5511987654321"
    kinds = {i.kind: i.value for i in text.identities}
    # Brazil: the mobile ninth digit is kept; the number is E.164.
    assert kinds == {
        IdentityKind.WHATSAPP_ID: "5511987654321",
        IdentityKind.PHONE: "+5511987654321",
    }
    image = events["wamid.IMG1"].content
    assert image is not None
    assert (image.text, image.attachments[0].blob_id) == (
        "[image] comprovante",
        "whatsapp-media:MEDIA1",
    )
    location = events["wamid.LOC1"].content
    assert location is not None
    assert location.text == "[location] Loja Paulista, Av. Paulista (-23.55, -46.63)"
    button = events["wamid.BTN1"].content
    assert button is not None
    assert button.text == "[choice yes] Sim"
    assert not events["wamid.REACT1"].hints.needs_human
    read = events["read:wamid.SENT1"]
    assert (read.direction, read.provider_ids["delivery"]) == (Direction.OUTBOUND, "read")
    assert events["delivered:wamid.SENT1"].provider_ids["status_of"] == "wamid.SENT1"


def test_a_failed_whatsapp_status_keeps_the_error_code_and_reason() -> None:
    body = (CORPUS / "whatsapp" / "status-failed-131047.json").read_bytes()
    (failed,) = meta.meta_events(body)
    assert failed.kind is InteractionKind.STATUS
    assert failed.provider_ids["delivery"] == "failed"
    assert failed.provider_ids["error_code"] == "131047"
    assert failed.provider_ids["error_reason"].startswith("Re-engagement message - Message failed")


def test_a_meta_retry_is_the_same_event() -> None:
    body = load("meta/whatsapp.json")
    first = [interaction_event("acme", e).id for e in meta.meta_events(body)]
    again = [interaction_event("acme", e).id for e in meta.meta_events(body)]
    assert first == again
    assert len(set(first)) == len(first)


@pytest.mark.parametrize(
    "body", [b"", b"{}", b'{"object": "page"}', b'{"object": "x", "entry": []}']
)
def test_meta_bodies_that_are_not_notifications(body: bytes) -> None:
    with pytest.raises(meta.InvalidMetaPayload):
        meta.meta_events(body)


def content(inbound: Inbound | None) -> Content:
    assert inbound is not None
    assert inbound.content is not None
    return inbound.content


def test_telegram_updates() -> None:
    updates = [json.dumps(u).encode() for u in json.loads(load("telegram/updates.json"))]
    text, photo, document, button, blocked, group = (telegram.telegram_update(u) for u in updates)
    assert content(text).text == "返品したいです"
    assert text is not None
    assert (text.conversation_key, text.display_name) == ("telegram:424242", "Yuki Tanaka")
    assert text.identities[0].kind is IdentityKind.TELEGRAM_USER_ID
    assert text.event_key == "900001"
    assert content(photo).attachments[0].blob_id == "telegram-file:LARGE"
    assert content(document).attachments[0].filename == "invoice.pdf"
    assert content(button).text == "[button] refund:A-100"
    assert content(blocked).text == "The user blocked the bot."
    assert blocked is not None
    assert blocked.kind is InteractionKind.STATUS
    assert group is None  # group chats are not customer conversations


def test_telegram_documented_updates_of_older_shape() -> None:
    # The Bot API's own sample updates: no chat.type, and an inline button press.
    def update(name: str) -> Inbound | None:
        return telegram.telegram_update((CORPUS / "telegram" / name).read_bytes())

    old = update("message-text-old-format.json")
    assert content(old).text == "/start"
    assert old is not None
    assert (old.conversation_key, old.display_name) == ("telegram:1111111", "Test Test Lastname")
    reply = update("message-reply-old-format.json")
    assert content(reply).text == "/start"
    pressed = update("callback-query-inline.json")
    assert content(pressed).text == "[button] Data from button callback"
    assert pressed is not None
    assert pressed.conversation_key == "telegram:1111111"
    assert pressed.identities[0].value == "1111111"
    group_without_type = json.dumps(
        {
            "update_id": 1,
            "message": {
                "message_id": 2,
                "date": 1441645532,
                "chat": {"id": -1001234, "title": "Team"},
                "from": {"id": 5, "first_name": "A"},
                "text": "hi",
            },
        }
    ).encode()  # invented edge case: an old-format group message
    assert telegram.telegram_update(group_without_type) is None


def test_telegram_language_code_is_kept_beside_what_the_text_says() -> None:
    inbound = telegram.telegram_update(
        (CORPUS / "telegram" / "message-private-current.json").read_bytes()
    )
    assert inbound is not None
    event = interaction_event("acme", inbound)
    assert event.data.content is not None
    facts = event.data.content.language_facts
    assert facts is not None
    assert (facts.detected, facts.hinted, event.data.content.language) == ("ja", "ja", "ja")
    assert event.data.routing_hints.language == "ja"


def test_telegram_secret_token() -> None:
    assert telegram.secret_valid(["s3cret"], "s3cret")
    assert telegram.secret_valid(["new", "s3cret"], "s3cret")
    assert not telegram.secret_valid(["s3cret"], "wrong")
    assert not telegram.secret_valid(["s3cret"], None)
    with pytest.raises(telegram.InvalidTelegramUpdate):
        telegram.telegram_update(b'{"message": {}}')
