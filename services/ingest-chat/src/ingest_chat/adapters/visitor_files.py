"""Files visitors upload, kept once per tenant and content hash (by reference on Kafka)."""

from __future__ import annotations

import hashlib

from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase

from cc_common.events import AttachmentRef
from cc_common.mongo import Document

FILES = "webchat_files"
BLOB_PREFIX = "webchat-file:"


class VisitorFiles:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._files = db[FILES]

    async def put(
        self, tenant_id: str, data: bytes, *, filename: str | None, content_type: str
    ) -> AttachmentRef:
        digest = hashlib.sha256(data).hexdigest()
        await self._files.update_one(
            {"_id": f"{tenant_id}|{digest}"},
            {
                "$setOnInsert": {
                    "tenant_id": tenant_id,
                    "content_type": content_type,
                    "size": len(data),
                    "data": Binary(data),
                }
            },
            upsert=True,
        )
        return AttachmentRef(
            blob_id=f"{BLOB_PREFIX}{digest}",
            filename=filename,
            content_type=content_type,
            size=len(data),
            sha256=digest,
        )

    async def get(self, tenant_id: str, blob_id: str) -> tuple[bytes, str] | None:
        """A tenant's file (bytes, content type), or None (another tenant's reads as missing)."""
        digest = blob_id.removeprefix(BLOB_PREFIX)
        doc = await self._files.find_one({"_id": f"{tenant_id}|{digest}"})
        if doc is None:
            return None
        return bytes(doc["data"]), str(doc["content_type"])
