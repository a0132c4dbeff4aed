"""Meta's webhooks: Messenger, Instagram messaging and the WhatsApp Cloud API (pure).

All three are signed the same way: ``X-Hub-Signature-256: sha256=<hex>`` is the
HMAC-SHA256 of the raw body with the app secret, and the subscription handshake
echoes ``hub.challenge`` when ``hub.verify_token`` matches. Delivery and read
receipts become status updates of the message they are about.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from typing import Any

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
from cc_common.signatures import same_secret
from ingest_chat.domain.messaging import QUIET, ROUTED, Inbound, from_epoch, status_update

_ATTACHMENT_TYPES = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/mpeg",
    "file": "application/octet-stream",
    "document": "application/pdf",
    "sticker": "image/webp",
}


class InvalidMetaPayload(ValueError):
    """The body is not a Meta webhook notification."""


def signature_valid(secrets: Sequence[str], body: bytes, header: str | None) -> bool:
    """True when one of the app secrets signed the body (``sha256=`` + hex)."""
    if not header or not header.startswith("sha256="):
        return False
    given = header.removeprefix("sha256=").strip().lower()
    return any(
        same_secret(given, hmac.new(s.encode(), body, hashlib.sha256).hexdigest()) for s in secrets
    )


def challenge_answer(params: dict[str, str], verify_tokens: Sequence[str]) -> str | None:
    """The challenge to echo for a valid subscription handshake, else None."""
    token = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not token:
        return None
    if not any(same_secret(token, t) for t in verify_tokens):
        return None
    return params.get("hub.challenge")


@malformed_as(InvalidMetaPayload)
def meta_events(body: bytes) -> list[Inbound]:
    """Every event of a notification that matters to a contact center."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidMetaPayload("the body is not JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("entry"), list):
        raise InvalidMetaPayload("the body has no entry list")
    kind = document.get("object")
    if kind == "whatsapp_business_account":
        return list(_whatsapp(document["entry"]))
    if kind in {"page", "instagram"}:
        channel = Channel.MESSENGER if kind == "page" else Channel.INSTAGRAM
        return list(_messaging(channel, document["entry"]))
    raise InvalidMetaPayload(f"unknown object {kind!r}")


def _messaging(channel: Channel, entries: list[Any]) -> Iterator[Inbound]:
    """Messenger and Instagram: ``entry[].messaging[]`` with a page- or account-scoped id."""
    identity_kind = (
        IdentityKind.MESSENGER_PSID if channel is Channel.MESSENGER else IdentityKind.INSTAGRAM_ID
    )
    provider = channel.value
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        page = str(entry.get("id", ""))
        for item in entry.get("messaging") or []:
            if not isinstance(item, dict):
                continue
            sender = str((item.get("sender") or {}).get("id", ""))
            if not sender:
                continue
            conversation = f"{provider}:{page}:{sender}"
            identities = (Identity(kind=identity_kind, value=sender, verified=True),)
            at = from_epoch(item.get("timestamp"))
            message = item.get("message")
            if isinstance(message, dict):
                if message.get("is_echo"):
                    continue  # our own send, already on the timeline as the reply
                mid = str(message.get("mid", ""))
                if mid:
                    yield Inbound(
                        channel=channel,
                        provider=provider,
                        event_key=mid,
                        message_id=mid,
                        conversation_key=conversation,
                        identities=identities,
                        kind=InteractionKind.MESSAGE,
                        content=_messenger_content(message),
                        at=at,
                    )
            elif isinstance(item.get("postback"), dict):
                postback = item["postback"]
                key = str(postback.get("mid") or f"postback:{sender}:{item.get('timestamp')}")
                yield Inbound(
                    channel=channel,
                    provider=provider,
                    event_key=key,
                    conversation_key=conversation,
                    identities=identities,
                    kind=InteractionKind.MESSAGE,
                    content=Content(text=_postback_text(postback)),
                    at=at,
                )
            elif isinstance(item.get("delivery"), dict):
                for mid in item["delivery"].get("mids") or []:
                    yield status_update(
                        channel=channel,
                        provider=provider,
                        event_key=f"delivered:{mid}",
                        conversation_key=conversation,
                        identities=identities,
                        of_message=str(mid),
                        status="delivered",
                        at=at,
                    )


def _messenger_content(message: dict[str, Any]) -> Content:
    text = message.get("text") if isinstance(message.get("text"), str) else None
    quick = message.get("quick_reply")
    if isinstance(quick, dict) and quick.get("payload"):
        text = f"{text or ''} [quick reply {quick['payload']}]".strip()
    attachments = []
    for attachment in message.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        kind = str(attachment.get("type", "file"))
        payload = attachment.get("payload") or {}
        if kind == "location" and isinstance(payload, dict):
            point = payload.get("coordinates") or {}
            text = f"[location] ({point.get('lat')}, {point.get('long')})"
            continue
        url = payload.get("url") if isinstance(payload, dict) else None
        if isinstance(url, str) and url:
            attachments.append(
                AttachmentRef(
                    blob_id=url,
                    content_type=_ATTACHMENT_TYPES.get(kind, "application/octet-stream"),
                    size=0,
                )
            )
            text = text or f"[{kind}]"
    return Content(text=(text or "")[:10_000] or None, attachments=tuple(attachments))


def _postback_text(postback: dict[str, Any]) -> str:
    return f"[postback] {postback.get('title') or ''} {postback.get('payload') or ''}".strip()


def _whatsapp(entries: list[Any]) -> Iterator[Inbound]:
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            value = change.get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                continue
            number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
            names = {
                str(c.get("wa_id")): name
                for c in value.get("contacts") or []
                if isinstance(c, dict)
                and isinstance(name := (c.get("profile") or {}).get("name"), str)
            }
            for message in value.get("messages") or []:
                if isinstance(message, dict) and message.get("from") and message.get("id"):
                    wa_id = str(message["from"])
                    yield Inbound(
                        channel=Channel.WHATSAPP,
                        provider="whatsapp",
                        event_key=str(message["id"]),
                        message_id=str(message["id"]),
                        conversation_key=f"whatsapp:{number_id}:{wa_id}",
                        identities=whatsapp_identities(wa_id),
                        display_name=names.get(wa_id),
                        kind=InteractionKind.MESSAGE,
                        content=_whatsapp_content(message),
                        at=from_epoch(message.get("timestamp")),
                        hints=ROUTED if message.get("type") != "reaction" else QUIET,
                    )
            for status in value.get("statuses") or []:
                if isinstance(status, dict) and status.get("id") and status.get("recipient_id"):
                    wa_id = str(status["recipient_id"])
                    yield status_update(
                        channel=Channel.WHATSAPP,
                        provider="whatsapp",
                        event_key=f"{status.get('status')}:{status['id']}",
                        conversation_key=f"whatsapp:{number_id}:{wa_id}",
                        identities=whatsapp_identities(wa_id),
                        of_message=str(status["id"]),
                        status=str(status.get("status", "unknown")),
                        at=from_epoch(status.get("timestamp")),
                        **_whatsapp_error(status.get("errors")),
                    )


def _whatsapp_error(errors: Any) -> dict[str, str | None]:
    """The first error of a failed status: its code, and the title with the details."""
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return {}
    details = (
        (first.get("error_data") or {}).get("details")
        if isinstance(first.get("error_data"), dict)
        else None
    )
    reason = " - ".join(
        str(part) for part in (first.get("title") or first.get("message"), details) if part
    )
    code = first.get("code")
    return {"error_code": str(code) if code is not None else None, "error_reason": reason or None}


def whatsapp_identities(wa_id: str) -> tuple[Identity, ...]:
    """The WhatsApp id, and the phone number it is (E.164) when it parses as one."""
    found = [Identity(kind=IdentityKind.WHATSAPP_ID, value=wa_id, verified=True)]
    try:
        number = phonenumbers.parse(f"+{wa_id}", None)
    except phonenumbers.NumberParseException:
        return tuple(found)
    if phonenumbers.is_possible_number(number):
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        found.append(Identity(kind=IdentityKind.PHONE, value=e164, verified=True))
    return tuple(found)


def _whatsapp_content(message: dict[str, Any]) -> Content:
    kind = str(message.get("type", ""))
    body: dict[str, Any] = message[kind] if isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return Content(text=str(body.get("body", ""))[:10_000])
    if kind in _ATTACHMENT_TYPES:
        caption = body.get("caption") or body.get("filename") or ""
        return Content(
            text=f"[{kind}] {caption}".strip(),
            attachments=(
                AttachmentRef(
                    blob_id=f"whatsapp-media:{body.get('id')}",
                    filename=body.get("filename")
                    if isinstance(body.get("filename"), str)
                    else None,
                    content_type=str(body.get("mime_type") or _ATTACHMENT_TYPES[kind]),
                    size=0,
                    sha256=body.get("sha256") if isinstance(body.get("sha256"), str) else None,
                ),
            ),
        )
    if kind == "location":
        place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
        return Content(text=f"[location] {place} ({body.get('latitude')}, {body.get('longitude')})")
    if kind == "interactive":
        reply = body.get("button_reply") or body.get("list_reply") or {}
        return Content(text=f"[choice {reply.get('id')}] {reply.get('title', '')}".strip())
    if kind == "button":
        return Content(text=f"[button] {body.get('text', '')}".strip())
    if kind == "reaction":
        return Content(text=f"[reaction {body.get('emoji', '')} to {body.get('message_id')}]")
    return Content(text=f"[{kind or 'unknown'}]")
