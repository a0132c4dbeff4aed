"""``GET /v1/attachments/{blob_id}``: the bytes behind an attachment of a chat message,
for agents of the tenant (the case API's download proxies here).

Web-chat files come from our store; LINE media from LINE's content API with the
tenant's access token. Other providers' media ids are not fetched yet (404 says so).
"""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from cc_common.auth import Principal
from ingest_chat.adapters.line_api import LineApi, TemporarySendFailure
from ingest_chat.adapters.visitor_files import BLOB_PREFIX, VisitorFiles

LINE_PREFIX = "line-content:"


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


async def _fetch(request: Request, tenant_id: str, blob_id: str) -> tuple[bytes, str] | None:
    state = request.app.state
    if blob_id.startswith(BLOB_PREFIX):
        files: VisitorFiles = state.visitor_files
        return await files.get(tenant_id, blob_id)
    if blob_id.startswith(LINE_PREFIX):
        channel = state.settings.line.get(tenant_id)
        if channel is None:
            return None
        line: LineApi = state.line_api
        try:
            return await line.content(channel, blob_id.removeprefix(LINE_PREFIX))
        except TemporarySendFailure as exc:
            raise HTTPException(502, f"LINE could not be asked for the content: {exc}") from exc
    return None
