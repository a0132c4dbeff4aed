"""MIME parsing of the walking skeleton (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest_email.domain.events import inbound_email
from ingest_email.domain.mime import UnreadableMessage, parse_message

ISO_2022_JP = (
    b"From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEIyVjtSGyhC?= <Hanako@Example.JP>\r\n"
    b"Subject: =?ISO-2022-JP?B?GyRCJCpMZCQkOWckbyQ7GyhC?=\r\n"
    b"Message-ID: <jp-1@example.jp>\r\n"
    b"In-Reply-To: <ours-2@support.example>\r\n"
    b"References: <ours-1@support.example> <ours-2@support.example>\r\n"
    b"Date: Mon, 23 Nov 2026 10:00:00 +0900\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=ISO-2022-JP\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n\r\n"
    + "お世話になっております。".encode("iso-2022-jp")
    + b"\r\n"
)


def test_japanese_mail_is_decoded_and_threaded_to_the_root() -> None:
    parsed = parse_message(ISO_2022_JP)
    assert parsed.sender_address == "hanako@example.jp"
    assert parsed.sender_name == "山田 花子"
    assert parsed.subject == "お問い合わせ"
    assert parsed.text == "お世話になっております。"
    assert parsed.thread_root == "<ours-1@support.example>"
    assert parsed.date == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_html_only_mail_still_gives_a_body() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello</p>"
    )
    parsed = parse_message(raw)
    assert parsed.text == "<p>Hello</p>"
    assert parsed.message_id.startswith("<sha256-"), "a missing Message-ID gets a stable one"
    assert parse_message(raw).message_id == parsed.message_id


def test_mail_without_a_sender_is_unreadable() -> None:
    with pytest.raises(UnreadableMessage):
        parse_message(b"Subject: nobody\r\n\r\nbody")


def test_the_same_message_id_is_the_same_event() -> None:
    parsed = parse_message(ISO_2022_JP)
    now = datetime.now(UTC)
    first = inbound_email("acme", parsed, provider="upload", received_at=now)
    again = inbound_email("acme", parsed, provider="smtp", received_at=now)
    assert first.id == again.id
    assert first.data.conversation_key == "email:<ours-1@support.example>"
    assert first.occurred_at == parsed.date
