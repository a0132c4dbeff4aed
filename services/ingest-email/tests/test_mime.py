"""The message corpus: each real-world shape and the facts we must extract (pure)."""

from __future__ import annotations

import hashlib
from email.message import EmailMessage
from pathlib import Path

import pytest

from ingest_email.domain.mime import ParsedEmail, UnreadableMessage, parse_message

CORPUS = Path(__file__).parent / "corpus"


def parse(name: str) -> ParsedEmail:
    return parse_message((CORPUS / name).read_bytes())


def test_iso_2022_jp_with_nec_extensions_in_headers_and_body() -> None:
    mail = parse("japanese_iso2022jp.eml")
    assert mail.sender.address == "taro.yamada@example.jp"
    assert mail.sender.name == "山田 太郎"
    assert mail.subject == "①ご注文の件（㈱テスト商事）"
    assert mail.text is not None
    assert "㈱テスト商事の山田です。" in mail.text
    assert "①注文番号 A-100" in mail.text
    assert "\r" not in mail.text
    assert mail.defects == ()


def test_shift_jis_base64_reads_as_windows_31j() -> None:
    mail = parse("shift_jis_base64.eml")
    assert mail.sender.name == "髙橋 花子"
    assert mail.subject == "返品の相談"
    assert mail.text == "返品について①②、ご確認ください。髙橋"
    assert mail.defects == ()


def test_html_only_mail_is_sanitised_and_converted_to_text() -> None:
    mail = parse("html_only.eml")
    assert mail.text is not None
    assert "The export button fails:" in mail.text
    assert "* Café Wi-Fi" in mail.text
    assert "alert" not in mail.text
    assert mail.html is not None
    for dangerous in ("<script", "onclick", "javascript:", "<style"):
        assert dangerous not in mail.html
    assert 'href="https://example.com/x"' in mail.html


def test_attachments_and_inline_images_are_extracted_with_their_facts() -> None:
    mail = parse("attachments.eml")
    assert mail.text == "The invoice is attached; the screenshot shows the error."
    assert mail.html is not None
    assert 'src="cid:shot@example.org"' in mail.html
    image, pdf = mail.parts
    assert (image.content_type, image.inline, image.content_id) == (
        "image/png",
        True,
        "<shot@example.org>",
    )
    assert (pdf.filename, pdf.content_type, pdf.inline) == (
        "請求書-42.pdf",
        "application/pdf",
        False,
    )
    assert pdf.data.startswith(b"%PDF-1.4")
    assert pdf.sha256 == hashlib.sha256(pdf.data).hexdigest()
    assert [a.address for a in mail.reply_to] == ["sam.buyer@work.example.org"]


def test_a_forward_keeps_the_forwarded_mail_as_content() -> None:
    mail = parse("forwarded_chain.eml")
    assert mail.forwarded
    assert mail.subject == "転送: 請求書について"
    assert mail.text is not None
    assert "請求書の宛名が違います。" in mail.text
    assert mail.quoted_text is None
    assert mail.thread_ids == ("<old-thread-root@mail.example.jp>",)


def test_a_reply_separates_new_text_from_quoted_history() -> None:
    mail = parse("reply_with_references.eml")
    assert mail.sender.address == "sam@example.org"  # lower-cased
    assert mail.text == "Thanks — that fixed it."
    assert mail.quoted_text is not None
    assert mail.quoted_text.startswith("On Mon, 23 Nov 2026 at 12:30")
    assert "> Please clear the cache" in mail.quoted_text
    assert mail.thread_ids == ("<reply-abc@acme.example>", "<att-0001@example.org>")
    assert not mail.forwarded


def test_an_out_of_office_reply_is_recognised() -> None:
    mail = parse("auto_reply.eml")
    assert mail.auto_submitted == "auto-submitted: auto-replied"
    assert mail.bounce is None


def test_a_dsn_names_the_failed_recipient_and_the_original_message() -> None:
    mail = parse("dsn_bounce.eml")
    assert mail.bounce is not None
    assert mail.bounce.recipients == ("gone@example.net",)
    assert mail.bounce.status == "5.1.1"
    assert mail.bounce.original_message_id == "<reply-gone@acme.example>"
    assert mail.thread_ids[0] == "<reply-gone@acme.example>"


def test_a_malformed_message_is_read_as_far_as_possible_with_its_defects() -> None:
    mail = parse("malformed.eml")
    # The stray line is dropped, so the headers after it still count.
    assert mail.message_id == "<malformed-0001@example.com>"
    assert mail.subject == "Hello there"
    assert mail.text == "Body with odd bytes ÿþ and text after."
    assert "1 invalid header line(s) dropped" in mail.defects
    assert "CloseBoundaryNotFoundDefect" in mail.defects
    assert "unknown charset 'x-made-up'" in mail.defects


def test_a_staff_reply_keeps_its_recipients() -> None:
    mail = parse("staff_reply.eml")
    assert [a.address for a in mail.to] == ["sam@example.org"]
    assert [a.address for a in mail.cc] == ["support@acme.example"]


def test_a_message_without_a_sender_is_unreadable() -> None:
    with pytest.raises(UnreadableMessage):
        parse_message(b"Subject: hello\r\n\r\nno sender\r\n")


def test_a_message_without_an_id_gets_a_stable_one() -> None:
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"
    assert parse_message(raw).message_id == parse_message(raw).message_id
    assert parse_message(raw).message_id.endswith("@ingest.invalid>")


def test_huge_bodies_are_cut_on_the_event_with_a_defect() -> None:
    raw = b"From: a@example.com\r\nMessage-ID: <big@x>\r\n\r\n" + b"x" * 200_000
    mail = parse_message(raw)
    assert mail.text is not None
    assert len(mail.text) == 64 * 1024
    assert any("cut to" in d for d in mail.defects)


def test_raw_non_utf8_bytes_in_an_address_header_drop_that_address_only() -> None:
    # Edge case (invented): a To: written in Latin-1 without RFC 2047 encoding.
    raw = (
        b"From: Sam <sam@example.org>\r\n"
        b"To: J\xf6rg <j\xf6rg@ex\xe4mple.com>, support@acme.example\r\n"
        b"Subject: Gr\xfc\xdfe\r\nMessage-ID: <raw8bit@example.org>\r\n\r\nHello.\r\n"
    )
    mail = parse_message(raw)
    assert [a.address for a in mail.to] == ["support@acme.example"]
    assert mail.subject == "Grüße"
    assert "invalid address in to dropped" in mail.defects
    assert "raw non-UTF-8 bytes in to" in mail.defects
    for value in (mail.subject or "", *(a.name or "" for a in mail.to)):
        value.encode("utf-8")  # no lone surrogates left for BSON or pydantic


def test_utf8_address_headers_are_kept_as_rfc_6532_allows() -> None:
    raw = (
        "From: Jörg <jörg@exämple.com>\r\nTo: support@acme.example\r\n"
        "Subject: Grüße\r\nMessage-ID: <utf8hdr@example.org>\r\n\r\nHallo.\r\n"
    ).encode()
    mail = parse_message(raw)
    assert (mail.sender.address, mail.sender.name) == ("jörg@exämple.com", "Jörg")
    assert mail.defects == ()


MULTIPART_BODY = (
    b"This is a multi-part message in MIME format.\r\n"
    b"--abc=def\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe parcel never came.\r\n"
    b"--abc=def\r\nContent-Type: image/png\r\n"
    b"Content-Disposition: attachment; filename=label.png\r\n\r\nPNG\r\n--abc=def--\r\n"
)


@pytest.mark.parametrize(
    "content_type",
    [
        b"multipart/mixed; boundary=abc=def",  # unquoted, with '=' (not a token)
        b"multipart/mixed",  # no boundary parameter at all
        b'multipart/mixed; boundary="not-in-the-body"',  # a boundary that never occurs
    ],
)
def test_a_multipart_without_a_usable_boundary_is_recovered_from_its_delimiter_lines(
    content_type: bytes,
) -> None:
    raw = (
        b"From: sam@example.org\r\nTo: support@acme.example\r\nSubject: parcel\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type + b"\r\n\r\n" + MULTIPART_BODY
    )
    mail = parse_message(raw)
    assert mail.text == "The parcel never came."
    assert [(p.filename, p.content_type) for p in mail.parts] == [("label.png", "image/png")]
    assert "multipart boundary recovered leniently" in mail.defects


def test_a_multipart_with_no_delimiter_at_all_degrades_to_a_text_body() -> None:
    raw = (
        b"From: sam@example.org\r\nTo: support@acme.example\r\nSubject: parcel\r\n"
        b"Content-Type: multipart/alternative; charset=iso-8859-1\r\n\r\n"
        b"Caf\xe9 order 12 never arrived.\r\n"
    )
    mail = parse_message(raw)
    assert mail.text == "Café order 12 never arrived."
    assert mail.parts == ()
    assert "multipart without a usable boundary read as text" in mail.defects


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("AUTO: Jane Doe is out of the office (returning 12/07/2026)", "I am away."),
        ("Automatic reply: Where is my order?", "Thanks for your mail."),
        ("Automatische Antwort: Bestellung", "Ich bin nicht im Büro."),
        ("Réponse automatique : commande", "Absent."),
        ("自動応答: ご注文の件", "ただいま不在にしております。"),
        ("【自動返信】お問い合わせありがとうございます", "担当者より折り返します。"),
        ("不在通知", "12月7日まで休暇をいただいております。"),
        ("Out of Office: Order 12", "Back Monday."),
        ("Re: Order 12", "This is an automated response to let you know we got your mail."),
        ("お問い合わせ", "このメールは自動送信されています。ご返信いただいても対応できません。"),
    ],
)
def test_vendor_auto_reply_subjects_and_automated_bodies(subject: str, body: str) -> None:
    # Subjects as Lotus Notes, Exchange/Outlook (several languages) and Japanese
    # groupware write them; no Auto-Submitted header (invented mail around them).
    message = EmailMessage()
    message["From"] = "jane@example.org"
    message["To"] = "support@acme.example"
    message["Subject"] = subject
    message.set_content(body)
    assert parse_message(message.as_bytes()).auto_submitted is not None


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Auto: a question about my car insurance", "Does it cover hail?"),
        ("Re: Automatic reply: Where is my order?", "A person answering the auto-reply."),
        ("Order 12", "Hi,\n" + "x" * 700 + "\n> This is an automated response"),
    ],
)
def test_people_writing_about_auto_replies_are_still_people(subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = "sam@example.org"
    message["To"] = "support@acme.example"
    message["Subject"] = subject
    message.set_content(body)
    assert parse_message(message.as_bytes()).auto_submitted is None


def test_content_language_is_read_as_the_senders_hint() -> None:
    message = EmailMessage()
    message["From"] = "sam@example.org"
    message["To"] = "support@acme.example"
    message["Subject"] = "Order"
    message.set_content("ok")
    message["Content-Language"] = "pt-BR, en"  # after set_content, which clears Content-*
    assert parse_message(message.as_bytes()).content_language == "pt-BR"
