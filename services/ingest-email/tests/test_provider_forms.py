"""Postmark and SendGrid parsed payloads, from their documentation's examples (pure)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from ingest_email.domain import provider_forms
from ingest_email.domain.mime import parse_message

CORPUS = Path(__file__).parents[3] / "tests" / "corpus"


def test_postmark_keeps_the_names_it_parsed() -> None:
    document = json.loads((CORPUS / "postmark" / "inbound-documented.json").read_text())
    mail = parse_message(provider_forms.postmark_message(document))
    assert (mail.sender.address, mail.sender.name) == (
        "support@postmarkapp.com",
        "Postmarkapp Support",
    )
    assert [(a.address, a.name) for a in mail.to] == [
        ("support@acme.example", "Firstname Lastname")
    ]
    # CcFull, not the malformed Cc string of Postmark's own example.
    assert [a.address for a in mail.cc] == ["firstcc@postmarkapp.com", "secondcc@postmarkapp.com"]
    assert mail.message_id == "<73e6d360-66eb-11e1-8e72-a8904824019b@postmark.inbound>"
    assert [(p.filename, p.data) for p in mail.parts] == [
        ("test.txt", b"This is attachment contents, base-64 encoded.")
    ]


def test_postmark_from_name_alone_names_the_sender() -> None:
    document = json.loads((CORPUS / "postmark" / "inbound-name-only-in-fromname.json").read_text())
    mail = parse_message(provider_forms.postmark_message(document))
    assert (mail.sender.address, mail.sender.name) == ("taro@example.jp", "山田 太郎")


def test_sendgrid_content_ids_mark_inline_images_inline() -> None:
    sample = json.loads((CORPUS / "sendgrid" / "parse-inline-image.form.json").read_text())
    files = [
        provider_forms.UploadedFile(
            filename=f["filename"],
            content_type=f["content_type"],
            data=base64.b64decode(f["base64"]),
            field=name,
        )
        for name, f in sample["files"].items()
    ]
    mail = parse_message(provider_forms.sendgrid_message(sample["fields"], files))
    assert mail.sender.name == "Sender Name"
    (image,) = mail.parts
    assert (image.filename, image.inline, image.content_id) == (
        "box.png",
        True,
        "<ii_1562e2169c132d83>",
    )
    assert mail.html is not None
    assert 'src="cid:ii_1562e2169c132d83"' in mail.html
