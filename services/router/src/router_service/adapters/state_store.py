"""The router's state in MongoDB: one document per tenant with its snapshot, the
Kafka offsets it includes (and the cluster they came from), and the events still to
announce (an outbox in the same atomic write)."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase

from cc_common.mongo import Document

STATES = "router_state"


class ConcurrentWriter(Exception):
    """Another instance wrote this tenant's state since we read it (a rebalance)."""


@dataclass
class StoredState:
    version: int
    snapshot: dict[str, Any] | None
    offsets: dict[str, int] = field(default_factory=dict)
    outbox: list[bytes] = field(default_factory=list)
    cluster_id: str | None = None


class StateStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._states = db[STATES]

    async def version(self, tenant_id: str) -> int:
        """The stored version (0 when the tenant has none)."""
        doc = await self._states.find_one({"_id": tenant_id}, projection={"version": 1})
        return int(doc["version"]) if doc else 0

    async def load(self, tenant_id: str) -> StoredState:
        """The tenant's last saved state."""
        doc = await self._states.find_one({"_id": tenant_id})
        if doc is None:
            return StoredState(version=0, snapshot=None)
        return StoredState(
            version=int(doc["version"]),
            snapshot=json.loads(zlib.decompress(doc["snapshot"])),
            offsets=dict(doc.get("offsets", {})),
            outbox=[bytes(b) for b in doc.get("outbox", [])],
            cluster_id=doc.get("cluster_id"),
        )

    async def save(
        self,
        tenant_id: str,
        *,
        expected_version: int,
        snapshot: dict[str, Any],
        offsets: dict[str, int],
        outbox: list[bytes],
        cluster_id: str | None = None,
    ) -> int:
        """Replace the state if nobody else wrote since ``expected_version``."""
        blob = Binary(zlib.compress(json.dumps(snapshot, separators=(",", ":")).encode(), 1))
        fields = {
            "snapshot": blob,
            "offsets": offsets,
            "outbox": [Binary(b) for b in outbox],
            "cluster_id": cluster_id,
            "version": expected_version + 1,
        }
        if expected_version == 0:
            result = await self._states.update_one(
                {"_id": tenant_id, "version": {"$exists": False}},
                {"$set": fields},
                upsert=True,
            )
            if result.upserted_id is None and result.modified_count == 0:
                raise ConcurrentWriter(tenant_id)
        else:
            result = await self._states.update_one(
                {"_id": tenant_id, "version": expected_version}, {"$set": fields}
            )
            if result.modified_count == 0:
                raise ConcurrentWriter(tenant_id)
        return expected_version + 1
