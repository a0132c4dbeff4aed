"""Telegram Bot API webhooks (pure).

Telegram proves a webhook is its own by echoing the ``secret_token`` given to
``setWebhook`` in ``X-Telegram-Bot-Api-Secret-Token``. Each update has a unique
``update_id`` (a retry repeats it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

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
from ingest_chat.domain.messaging import QUIET, Inbound, from_epoch


class InvalidTelegramUpdate(ValueError):
    """The body is not a Telegram update."""


def secret_valid(secrets: Sequence[str], header: str | None) -> bool:
    return bool(header) and any(same_secret(header or "", s) for s in secrets)


@malformed_as(InvalidTelegramUpdate)
def telegram_update(body: bytes) -> Inbound | None:
    """The update's interaction, or None for updates a contact center ignores."""
    try:
        update = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidTelegramUpdate("the body is not JSON") from exc
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise InvalidTelegramUpdate("the body has no update_id")
    key = str(update["update_id"])
    if isinstance(update.get("message"), dict):
        return _message(key, update["message"])
    if isinstance(update.get("callback_query"), dict):
        query = update["callback_query"]
        sender = query.get("from")
        # A button under an inline-mode message has no message and no chat: the
        # press is the user's, and their private chat with the bot has their id.
        chat = ((query.get("message") or {}).get("chat") or {}).get("id")
        if chat is None and isinstance(sender, dict):
            chat = sender.get("id")
        label = query.get("data") or query.get("game_short_name") or ""
        return _inbound(key, sender, chat, Content(text=f"[button] {label}"))
    if isinstance(update.get("my_chat_member"), dict):
        member = update["my_chat_member"]
        status = (member.get("new_chat_member") or {}).get("status")
        text = "The user blocked the bot." if status == "kicked" else f"Bot membership: {status}."
        found = _inbound(
            key, member.get("from"), (member.get("chat") or {}).get("id"), Content(text=text)
        )
        return _quiet(found) if found else None
    return None


def _message(key: str, message: dict[str, Any]) -> Inbound | None:
    chat = (message.get("chat") or {}).get("id")
    if not _private(message):
        return None  # groups and channels are not customer conversations
    content = _content(message)
    found = _inbound(key, message.get("from"), chat, content, at=message.get("date"))
    if found is None:
        return None
    return Inbound(
        **{**_fields(found), "message_id": f"{chat}:{message.get('message_id')}"},
    )


def _private(message: dict[str, Any]) -> bool:
    """A one-to-one chat with the bot. Older updates have no ``chat.type``: a private
    chat's id is the user's (positive), groups and channels have negative ids and a title."""
    chat = message.get("chat") or {}
    if "type" in chat:
        return bool(chat["type"] == "private")
    sender = message.get("from") or {}
    chat_id = chat.get("id")
    if isinstance(chat_id, int) and chat_id == sender.get("id"):
        return True
    return isinstance(chat_id, int) and chat_id > 0 and "title" not in chat


def _content(message: dict[str, Any]) -> Content:
    if isinstance(message.get("text"), str):
        return Content(text=message["text"][:10_000])
    caption = message.get("caption") if isinstance(message.get("caption"), str) else ""
    if isinstance(message.get("photo"), list) and message["photo"]:
        largest = message["photo"][-1]
        return Content(
            text=f"[photo] {caption}".strip(),
            attachments=(
                AttachmentRef(
                    blob_id=f"telegram-file:{largest.get('file_id')}",
                    content_type="image/jpeg",
                    size=int(largest.get("file_size") or 0),
                ),
            ),
        )
    if isinstance(message.get("document"), dict):
        document = message["document"]
        return Content(
            text=f"[file] {document.get('file_name', '')} {caption}".strip(),
            attachments=(
                AttachmentRef(
                    blob_id=f"telegram-file:{document.get('file_id')}",
                    filename=document.get("file_name"),
                    content_type=str(document.get("mime_type") or "application/octet-stream"),
                    size=int(document.get("file_size") or 0),
                ),
            ),
        )
    if isinstance(message.get("sticker"), dict):
        return Content(text=f"[sticker {message['sticker'].get('emoji', '')}]")
    if isinstance(message.get("location"), dict):
        point = message["location"]
        return Content(text=f"[location] ({point.get('latitude')}, {point.get('longitude')})")
    if isinstance(message.get("contact"), dict):
        return Content(text=f"[contact] {message['contact'].get('phone_number', '')}")
    return Content(text="[message]")


def _inbound(
    key: str, sender: Any, chat: Any, content: Content, *, at: Any = None
) -> Inbound | None:
    if not isinstance(sender, dict) or sender.get("id") is None or chat is None:
        return None
    name = " ".join(str(sender[k]) for k in ("first_name", "last_name") if sender.get(k))
    return Inbound(
        channel=Channel.TELEGRAM,
        provider="telegram",
        event_key=key,
        conversation_key=f"telegram:{chat}",
        identities=(
            Identity(kind=IdentityKind.TELEGRAM_USER_ID, value=str(sender["id"]), verified=True),
        ),
        display_name=name or sender.get("username"),
        kind=InteractionKind.MESSAGE,
        content=content,
        at=from_epoch(at),
        language_hint=sender.get("language_code")
        if isinstance(sender.get("language_code"), str)
        else None,
    )


def _fields(inbound: Inbound) -> dict[str, Any]:
    return {name: getattr(inbound, name) for name in Inbound.__dataclass_fields__}


def _quiet(inbound: Inbound) -> Inbound:
    return Inbound(**{**_fields(inbound), "kind": InteractionKind.STATUS, "hints": QUIET})
