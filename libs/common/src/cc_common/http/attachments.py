"""Serving an attachment's bytes to an agent's browser, safely.

Whatever a customer sent is shown as a download, never rendered as a page of ours:
``Content-Disposition: attachment``, ``nosniff`` and a sandboxing CSP.
"""

# No `from __future__ import annotations`: FastAPI must resolve the route's
# dependency (built from the caller's ``read``) at definition time.
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from cc_common.principals import Principal

SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private, max-age=300",
}


def attachment_response(data: bytes, *, content_type: str, filename: str | None) -> Response:
    """The bytes as a download named ``filename`` (RFC 6266, UTF-8 names kept)."""
    name = filename or "attachment"
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        data,
        media_type=content_type or "application/octet-stream",
        headers={**SAFE_HEADERS, "Content-Disposition": disposition},
    )


FetchBlob = Callable[[Request, str, str], Awaitable[tuple[bytes, str] | None]]
"""(request, tenant, blob id) -> (bytes, content type), or None if not kept for it."""


def blob_router(read: Any, fetch: FetchBlob, *, missing: str) -> APIRouter:
    """``GET /v1/attachments/{blob_id}``, the route each service that keeps attachment
    bytes serves to agents of the tenant (the case API's download proxies to it)."""
    router = APIRouter(prefix="/v1/attachments", tags=["attachments"])

    # ``:path``: some blob ids are the provider's URL (Messenger and Instagram media),
    # sent percent-encoded and decoded, slashes and all, before routing.
    @router.get(
        "/{blob_id:path}",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}, 404: {}, 502: {}},
    )
    async def attachment(
        blob_id: str, request: Request, principal: Annotated[Principal, Depends(read)]
    ) -> Response:
        """The attachment's bytes, with its content type, never rendered as a page."""
        found = await fetch(request, principal.tenant_id, blob_id)
        if found is None:
            raise HTTPException(404, missing)
        data, content_type = found
        return Response(data, media_type=content_type, headers=SAFE_HEADERS)

    return router
