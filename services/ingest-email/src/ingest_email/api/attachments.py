"""``GET /v1/attachments/{blob_id}``: the bytes of a mail's attachment (or raw message),
for agents of the tenant (the case API's download proxies here)."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from cc_common.auth import Principal
from ingest_email.adapters.blobs import BlobStore


def build_router(read: Any) -> APIRouter:
    router = APIRouter(prefix="/v1/attachments", tags=["attachments"])
    Reader = Annotated[Principal, Depends(read)]

    @router.get(
        "/{blob_id}",
        response_class=Response,
        responses={200: {"content": {"application/octet-stream": {}}}, 404: {}},
    )
    async def attachment(blob_id: str, principal: Reader, request: Request) -> Response:
        """The blob's bytes (the timeline entry that names it has its type and name)."""
        blobs: BlobStore = request.app.state.blobs
        data = await blobs.get(principal.tenant_id, blob_id)
        if data is None:
            raise HTTPException(404, "No such attachment for this tenant.")
        return Response(
            data,
            media_type="application/octet-stream",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    return router
