"""LINE webhook events and signatures, from the documented payload shapes (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from cc_common.events import IdentityKind, InteractionKind
from ingest_chat.domain.line import (
    InvalidLinePayload,
    LineProfile,
    line_events,
    line_user_ids,
    signature_valid,
)

BODY = (Path(__file__).parent / "fixtures" / "line" / "events.json").read_bytes()
SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_signatures_good_bad_missing_and_rotated() -> None:
    assert signature_valid([SECRET], BODY, sign(BODY))
    assert not signature_valid([SECRET], BODY + b" ", sign(BODY))
    assert not signature_valid([SECRET], BODY, None)
    assert not signature_valid([SECRET], BODY, "not base64!")
    assert signature_valid(["new-secret", SECRET], BODY, sign(BODY))


def test_every_kind_of_event_is_normalised() -> None:
    events = {e.data.provider_ids["webhook_event_id"]: e.data for e in line_events("acme", BODY)}
    text = events["01JDTEXT0000000000000000AA"]
    assert text.content is not None
    assert text.content.text == "注文した商品がまだ届きません"
    assert text.conversation_key == "line:U4af4980629aaaaaaaaaaaaaaaaaaaaaa"
    customer = text.customer()
    assert customer is not None
    identity = customer.identities[0]
    assert (identity.kind, identity.verified) == (IdentityKind.LINE_USER_ID, True)
    assert text.provider_message_id == "444573844083572737"
    assert text.provider_ids["reply_token"] == "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA"
    assert text.routing_hints.needs_human

    image = events["01JDIMAGE000000000000000AA"].content
    assert image is not None
    (photo,) = image.attachments
    assert (photo.blob_id, photo.content_type) == ("line-content:354718705033693859", "image/jpeg")
    file = events["01JDFILE0000000000000000AA"].content
    assert file is not None
    assert (file.attachments[0].filename, file.attachments[0].size) == ("receipt.pdf", 2138)
    location = events["01JDLOCATION000000000000AA"].content
    assert location is not None
    assert location.text == "[location] 渋谷駅, 東京都渋谷区 (35.658034, 139.701636)"
    sticker = events["01JDSTICKER0000000000000AA"].content
    assert sticker is not None
    assert sticker.text == "[sticker 446/1988] Happy, Yay"
    postback = events["01JDPOSTBACK000000000000AA"]
    assert postback.content is not None
    assert postback.content.text == "[postback] action=track&order=A-100"
    follow, unfollow = events["01JDFOLLOW00000000000000AA"], events["01JDUNFOLLOW000000000000AA"]
    assert (follow.kind, follow.routing_hints.needs_human) == (InteractionKind.STATUS, False)
    assert unfollow.content is not None
    assert unfollow.content.text == "The user blocked the account."
    # A group join names no user: nothing for a contact center to route.
    assert "01JDJOIN0000000000000000AA" not in events


def test_a_redelivered_event_is_the_same_event() -> None:
    document = json.loads(BODY)
    first = line_events("acme", BODY)[0]
    document["events"][0]["deliveryContext"]["isRedelivery"] = True
    again = line_events("acme", json.dumps(document).encode())[0]
    assert again.id == first.id
    assert line_events("other", BODY)[0].id != first.id


@pytest.mark.parametrize("body", [b"", b"[]", b'{"events": 3}', b"\xff"])
def test_bodies_that_are_not_webhooks_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidLinePayload):
        line_events("acme", body)


def test_the_verification_request_has_no_events() -> None:
    assert line_events("acme", b'{"destination": "U0", "events": []}') == []


def test_a_known_profile_names_the_user_and_hints_their_language() -> None:
    body = Path(__file__).parents[3] / "tests" / "corpus" / "line" / "message-text-redelivered.json"
    raw = body.read_bytes()
    (user,) = line_user_ids(raw)
    (event,) = line_events("acme", raw, {user: LineProfile(display_name="花子", language="ja")})
    customer = event.data.customer()
    assert customer is not None
    assert customer.display_name == "花子"
    assert event.data.content is not None
    assert event.data.content.language_facts is not None
    assert event.data.content.language_facts.hinted == "ja"
    (anonymous,) = line_events("acme", raw)
    assert anonymous.data.customer() is not None
    assert anonymous.data.parties[0].display_name is None
    assert line_user_ids(b"not json") == []
