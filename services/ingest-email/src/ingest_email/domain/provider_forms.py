"""Inbound-parse formats of mail providers, turned back into one raw message (pure).

Each provider can send the raw MIME (Mailgun ``body-mime``, SendGrid ``email``,
Postmark ``RawEmail``); when configured to send parsed fields instead, the
message is rebuilt from its headers, bodies and attachments so one parser and
one threading engine serve every door.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.parser import HeaderParser
from email.utils import formataddr
from typing import Any

from cc_common.shapes import malformed_as


class InvalidProviderPayload(ValueError):
    """The provider's payload lacks what a message needs."""


@dataclass(frozen=True, slots=True)
class UploadedFile:
    filename: str | None
    content_type: str
    data: bytes
    content_id: str | None = None
    field: str | None = None
    """The form field it came in (SendGrid's ``content-ids`` map names fields)."""
    inline: bool = False


_STRUCTURAL = {"content-type", "content-transfer-encoding", "mime-version"}


def rebuild_message(
    headers: Sequence[tuple[str, str]],
    *,
    text: str | None,
    html: str | None,
    files: Sequence[UploadedFile] = (),
) -> bytes:
    """A MIME message from parsed parts (the original's structure headers are dropped)."""
    message = EmailMessage(policy=policy.SMTP)
    for name, value in headers:
        if name.lower() in _STRUCTURAL:
            continue
        try:
            message[name] = value
        except (ValueError, TypeError):
            continue
    message.set_content(text or "")
    if html:
        message.add_alternative(html, subtype="html")
    for upload in files:
        maintype, _, subtype = upload.content_type.partition("/")
        message.add_attachment(
            upload.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=upload.filename or "attachment",
            cid=upload.content_id,
            disposition="inline" if upload.inline else "attachment",
        )
    return message.as_bytes()


@malformed_as(InvalidProviderPayload)
def mailgun_message(form: Mapping[str, str], files: Sequence[UploadedFile]) -> bytes:
    """Mailgun route payload: ``body-mime`` (forward to a URL ending in /mime) or parsed."""
    if form.get("body-mime"):
        return form["body-mime"].encode("utf-8", "surrogateescape")
    try:
        headers = [(str(k), str(v)) for k, v in json.loads(form.get("message-headers", "[]"))]
    except (ValueError, TypeError) as exc:
        raise InvalidProviderPayload("message-headers is not a JSON list of pairs") from exc
    if not headers:
        raise InvalidProviderPayload("neither body-mime nor message-headers was sent")
    return rebuild_message(
        headers, text=form.get("body-plain"), html=form.get("body-html"), files=files
    )


@malformed_as(InvalidProviderPayload)
def sendgrid_message(form: Mapping[str, str], files: Sequence[UploadedFile]) -> bytes:
    """SendGrid Inbound Parse: ``email`` (raw mode) or the parsed fields."""
    if form.get("email"):
        return form["email"].encode("utf-8", "surrogateescape")
    raw_headers = form.get("headers")
    if not raw_headers:
        raise InvalidProviderPayload("neither email nor headers was sent")
    parsed = HeaderParser(policy=policy.compat32).parsestr(raw_headers)
    headers = [(k, str(v)) for k, v in parsed.items()]
    inline = _sendgrid_content_ids(form.get("content-ids"))
    files = [
        replace(f, content_id=f"<{inline[f.field]}>", inline=True) if f.field in inline else f
        for f in files
    ]
    return rebuild_message(headers, text=form.get("text"), html=form.get("html"), files=files)


def _sendgrid_content_ids(raw: str | None) -> dict[str | None, str]:
    """``content-ids``: Content-ID → form field of each inline image (JSON), inverted."""
    try:
        mapping = json.loads(raw or "{}")
    except ValueError:
        return {}
    if not isinstance(mapping, dict):
        return {}
    return {str(field): str(cid).strip("<>") for cid, field in mapping.items() if cid and field}


@malformed_as(InvalidProviderPayload)
def postmark_message(document: Any) -> bytes:
    """Postmark inbound JSON: ``RawEmail`` when enabled, else rebuilt from the fields."""
    if not isinstance(document, dict):
        raise InvalidProviderPayload("the body is not a JSON object")
    if isinstance(document.get("RawEmail"), str) and document["RawEmail"]:
        return str(document["RawEmail"]).encode("utf-8", "surrogateescape")
    sender = _postmark_sender(document)
    if not sender:
        raise InvalidProviderPayload("From is missing")
    headers: list[tuple[str, str]] = [("From", sender)]
    for field, header in (("To", "To"), ("Cc", "Cc")):
        # Postmark's parsed lists are cleaner than its header strings (its own
        # example has "secondCc@postmarkapp.com>").
        listed = _postmark_addresses(document.get(f"{field}Full"))
        if listed:
            headers.append((header, listed))
        elif isinstance(document.get(field), str) and document[field]:
            headers.append((header, document[field]))
    for field, header in (("Subject", "Subject"), ("Date", "Date"), ("ReplyTo", "Reply-To")):
        if isinstance(document.get(field), str) and document[field]:
            headers.append((header, document[field]))
    for item in document.get("Headers") or []:
        if isinstance(item, dict) and isinstance(item.get("Name"), str):
            headers.append((item["Name"], str(item.get("Value", ""))))
    if not any(name.lower() == "message-id" for name, _ in headers):
        message_id = document.get("MessageID")
        if isinstance(message_id, str) and message_id:
            headers.append(("Message-ID", f"<{message_id.strip('<>')}@postmark.inbound>"))
    return rebuild_message(
        headers,
        text=document.get("TextBody") if isinstance(document.get("TextBody"), str) else None,
        html=document.get("HtmlBody") if isinstance(document.get("HtmlBody"), str) else None,
        files=_postmark_files(document.get("Attachments") or []),
    )


def _postmark_sender(document: dict[str, Any]) -> str | None:
    """``From`` with the name Postmark parsed (``FromFull``, else ``FromName``)."""
    full = document.get("FromFull")
    address = full.get("Email") if isinstance(full, dict) else None
    address = address or document.get("From")
    if not isinstance(address, str) or not address:
        return None
    name = full.get("Name") if isinstance(full, dict) else None
    name = name or document.get("FromName")
    if "<" in address or not isinstance(name, str) or not name.strip():
        return address
    return formataddr((name.strip(), address))


def _postmark_addresses(items: Any) -> str | None:
    if not isinstance(items, list):
        return None
    found = [
        formataddr((str(i.get("Name") or ""), i["Email"]))
        for i in items
        if isinstance(i, dict) and isinstance(i.get("Email"), str) and "@" in i["Email"]
    ]
    return ", ".join(found) or None


def _postmark_files(items: Sequence[Any]) -> list[UploadedFile]:
    files = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("Content"), str):
            continue
        try:
            data = base64.b64decode(item["Content"], validate=False)
        except (binascii.Error, ValueError) as exc:
            raise InvalidProviderPayload("an attachment is not base64") from exc
        files.append(
            UploadedFile(
                filename=item.get("Name") if isinstance(item.get("Name"), str) else None,
                content_type=str(item.get("ContentType") or "application/octet-stream"),
                data=data,
                content_id=_angle(item.get("ContentID")),
            )
        )
    return files


def _angle(content_id: object) -> str | None:
    if not isinstance(content_id, str) or not content_id.strip("<> "):
        return None
    return f"<{content_id.strip('<> ')}>"
