"""``GET /v1/attachments/{blob_id}``: the bytes behind an attachment of a chat message,
for agents of the tenant (the case API's download proxies here).

Web-chat files come from our store; LINE, WhatsApp, Telegram and Twilio MMS media
from the provider with the tenant's credentials; Messenger and Instagram media from
the CDN link of the webhook (https, Meta's hosts only).
"""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Any

from fastapi import APIRouter, HTTPException, Request

from cc_common.http.attachments import blob_router
from ingest_chat.adapters.media import (
    META_MEDIA_HOSTS,
    TWILIO_MEDIA_HOSTS,
    Media,
    MediaUnavailable,
    ProviderMedia,
)
from ingest_chat.adapters.visitor_files import BLOB_PREFIX, VisitorFiles
from ingest_chat.settings import ChatSettings


def build_router(read: Any) -> APIRouter:
    return blob_router(
        read, _fetch, missing="No such attachment for this tenant (or no longer kept)."
    )


async def _fetch(request: Request, tenant_id: str, blob_id: str) -> Media | None:
    state = request.app.state
    settings: ChatSettings = state.settings
    media: ProviderMedia = state.provider_media
    kind, _, key = blob_id.partition(":")
    try:
        if blob_id.startswith(BLOB_PREFIX):
            files: VisitorFiles = state.visitor_files
            return await files.get(tenant_id, blob_id)
        if kind == "line-content" and (line := settings.line.get(tenant_id)):
            return await media.line(line, key)
        if kind == "whatsapp-media" and (app := settings.meta.get(tenant_id)):
            return await media.whatsapp(app, key)
        if kind == "telegram-file" and (bot := settings.telegram.get(tenant_id)):
            return await media.telegram(bot, key)
        if kind == "https" and tenant_id in settings.meta:
            found = await media.by_url(blob_id, hosts=META_MEDIA_HOSTS)
            if found is not None:
                return found
        if kind == "https" and (sms := settings.twilio_sms.get(tenant_id)) and sms.account_sid:
            auth = (sms.account_sid, sms.auth_tokens[0].get_secret_value())
            return await media.by_url(blob_id, hosts=TWILIO_MEDIA_HOSTS, auth=auth)
    except MediaUnavailable as exc:
        raise HTTPException(502, f"The provider could not give the content: {exc}") from exc
    return None
