"""``GET /v1/attachments/{blob_id}``: the bytes of a mail's attachment (or raw message),
for agents of the tenant (the case API's download proxies here)."""

# No `from __future__ import annotations`: FastAPI must resolve the route-local
# dependency aliases at definition time.
from typing import Any

from fastapi import APIRouter, Request

from cc_common.http.attachments import blob_router
from ingest_email.adapters.blobs import BlobStore


def build_router(read: Any) -> APIRouter:
    return blob_router(read, _fetch, missing="No such attachment for this tenant.")


async def _fetch(request: Request, tenant_id: str, blob_id: str) -> tuple[bytes, str] | None:
    """The blob's bytes (the timeline entry that names it has its type and name)."""
    blobs: BlobStore = request.app.state.blobs
    data = await blobs.get(tenant_id, blob_id)
    return (data, "application/octet-stream") if data is not None else None
