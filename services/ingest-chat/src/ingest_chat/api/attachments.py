"""``GET /v1/attachments/{blob_id}``: the bytes behind an attachment of a chat message,
for agents of the tenant (the case API's download proxies here).

Web-chat files come from our store; LINE, WhatsApp and Telegram media from the
provider with the tenant's credentials. Messenger, Instagram and Twilio name their
media by URL (shown on the timeline as is); those are not fetched here (404).
"""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from cc_common.auth import Principal
from ingest_chat.adapters.media import Media, MediaUnavailable, ProviderMedia
from ingest_chat.adapters.visitor_files import BLOB_PREFIX, VisitorFiles
from ingest_chat.settings import ChatSettings


def build_router(read: Any) -> APIRouter:
    router = APIRouter(prefix="/v1/attachments", tags=["attachments"])
    Reader = Annotated[Principal, Depends(read)]

    @router.get(
        "/{blob_id}",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}, 404: {}, 502: {}},
    )
    async def attachment(blob_id: str, principal: Reader, request: Request) -> Response:
        """The attachment's bytes, with its content type."""
        found = await _fetch(request, principal.tenant_id, blob_id)
        if found is None:
            raise HTTPException(404, "No such attachment for this tenant (or no longer kept).")
        data, content_type = found
        return Response(
            data, media_type=content_type, headers={"X-Content-Type-Options": "nosniff"}
        )

    return router


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
    except MediaUnavailable as exc:
        raise HTTPException(502, f"The provider could not give the content: {exc}") from exc
    return None
