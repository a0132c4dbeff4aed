"""LINE Messaging API webhooks: signature and events as interactions (pure).

The signature is HMAC-SHA256 of the raw request body with the channel secret,
base64 in ``X-Line-Signature``. Every event carries a ``webhookEventId`` (a
redelivery repeats it), so the event id derives from it and a retry is the same
event. A one-to-one chat is one conversation per LINE user; media stays with LINE
and travels by reference (its message id, fetched through the content API).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cc_common.events import (
    AttachmentRef,
    Channel,
    Content,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    RoutingHints,
)
from cc_common.shapes import malformed_as
from ingest_chat.domain.messaging import QUIET, ROUTED, Inbound, from_epoch, interaction_event

PROVIDER = "line"
_MEDIA_TYPES = {
    "image": "image/jpeg",
    "video": "video/mp4",
    "audio": "audio/m4a",
    "file": "application/octet-stream",
}


class InvalidLinePayload(ValueError):
    """The body is not a LINE webhook request."""


def signature_valid(secrets: Sequence[str], body: bytes, signature: str | None) -> bool:
    """True when one of the channel secrets signed ``body`` (current and previous)."""
    if not signature:
        return False
    try:
        given = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return any(
        hmac.compare_digest(hmac.new(s.encode(), body, hashlib.sha256).digest(), given)
        for s in secrets
    )


@dataclass(frozen=True, slots=True)
class LineProfile:
    """What LINE's profile endpoint says of a user (webhooks carry only the id)."""

    display_name: str | None = None
    language: str | None = None


def line_user_ids(body: bytes) -> list[str]:
    """The users a webhook request speaks of (none for a body we cannot read)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    events = document.get("events") if isinstance(document, dict) else None
    found = []
    for raw in events if isinstance(events, list) else []:
        source = raw.get("source") if isinstance(raw, dict) else None
        user_id = source.get("userId") if isinstance(source, dict) else None
        if isinstance(user_id, str) and user_id:
            found.append(user_id)
    return list(dict.fromkeys(found))


@malformed_as(InvalidLinePayload)
def line_events(
    tenant_id: str, body: bytes, profiles: Mapping[str, LineProfile] | None = None
) -> list[Envelope[Interaction]]:
    """The interactions of a webhook request (events that matter to a contact center),
    with the users' names and app languages where their profiles are known."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidLinePayload("the body is not JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        raise InvalidLinePayload("the body has no events list")
    found = []
    for raw in document["events"]:
        event = _interaction(tenant_id, raw, profiles or {}) if isinstance(raw, dict) else None
        if event is not None:
            found.append(event)
    return found


def _interaction(
    tenant_id: str, raw: dict[str, Any], profiles: Mapping[str, LineProfile]
) -> Envelope[Interaction] | None:
    source = raw.get("source") or {}
    user_id = source.get("userId") if isinstance(source, dict) else None
    event_id = raw.get("webhookEventId")
    if not isinstance(user_id, str) or not user_id or not isinstance(event_id, str):
        return None  # group events without a user, or malformed: nothing to route
    kind, content, hints = _kind_content_and_hints(raw)
    if kind is None:
        return None
    provider_ids = {"webhook_event_id": event_id}
    if isinstance(raw.get("replyToken"), str):
        provider_ids["reply_token"] = raw["replyToken"]
    if raw.get("mode") == "standby":
        provider_ids["mode"] = "standby"
    message: dict[str, Any] = raw["message"] if isinstance(raw.get("message"), dict) else {}
    profile = profiles.get(user_id) or LineProfile()
    return interaction_event(
        tenant_id,
        Inbound(
            channel=Channel.LINE,
            provider=PROVIDER,
            event_key=event_id,
            message_id=str(message.get("id") or event_id),
            conversation_key=f"line:{user_id}",
            identities=(Identity(kind=IdentityKind.LINE_USER_ID, value=user_id, verified=True),),
            kind=kind,
            content=content,
            at=from_epoch(raw.get("timestamp")),
            hints=hints,
            provider_ids=provider_ids,
            display_name=profile.display_name,
            language_hint=profile.language,
        ),
    )


def _kind_content_and_hints(
    raw: dict[str, Any],
) -> tuple[InteractionKind | None, Content | None, RoutingHints]:
    """What an event says: its kind, content and whether it needs a person."""
    routed, quiet = ROUTED, QUIET
    kind = raw.get("type")
    if kind == "message" and isinstance(raw.get("message"), dict):
        return InteractionKind.MESSAGE, _message_content(raw["message"]), routed
    if kind == "postback" and isinstance(raw.get("postback"), dict):
        data = str(raw["postback"].get("data", ""))[:5000]
        return InteractionKind.MESSAGE, Content(text=f"[postback] {data}"), routed
    if kind == "follow":
        unblocked = bool((raw.get("follow") or {}).get("isUnblocked"))
        text = "The user unblocked the account." if unblocked else "The user added the account."
        return InteractionKind.STATUS, Content(text=text), quiet
    if kind == "unfollow":
        return InteractionKind.STATUS, Content(text="The user blocked the account."), quiet
    if kind == "unsend" and isinstance(raw.get("unsend"), dict):
        gone = raw["unsend"].get("messageId")
        return InteractionKind.STATUS, Content(text=f"The user unsent message {gone}."), quiet
    return None, None, routed


def _message_content(message: dict[str, Any]) -> Content:
    kind = message.get("type")
    if kind == "text":
        return Content(text=str(message.get("text", ""))[:10_000])
    if kind in _MEDIA_TYPES:
        name = message.get("fileName") if kind == "file" else None
        provider = message.get("contentProvider") or {}
        external = (
            provider.get("originalContentUrl") if provider.get("type") == "external" else None
        )
        return Content(
            text=f"[{kind}]" + (f" {name}" if name else ""),
            attachments=(
                AttachmentRef(
                    blob_id=external or f"line-content:{message.get('id')}",
                    filename=name if isinstance(name, str) else None,
                    content_type=_MEDIA_TYPES[kind],
                    size=int(message.get("fileSize") or 0),
                ),
            ),
        )
    if kind == "location":
        place = ", ".join(
            str(message[k]) for k in ("title", "address") if isinstance(message.get(k), str)
        )
        text = f"[location] {place} ({message.get('latitude')}, {message.get('longitude')})"
        return Content(text=text.replace("[location]  (", "[location] ("))
    if kind == "sticker":
        keywords = message.get("keywords") or []
        words = ", ".join(str(k) for k in keywords[:5]) if isinstance(keywords, list) else ""
        return Content(
            text=f"[sticker {message.get('packageId')}/{message.get('stickerId')}]"
            + (f" {words}" if words else "")
        )
    return Content(text=f"[{kind}]")
