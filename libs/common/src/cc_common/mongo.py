"""MongoDB client factory (PyMongo's async API) and index bootstrap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from cc_common.logging import get_logger
from cc_common.settings import MongoSettings

log = get_logger(__name__)

Document = dict[str, Any]


def make_mongo_client(settings: MongoSettings, *, app_name: str) -> AsyncMongoClient[Document]:
    """Create the process's one client; the caller closes it on shutdown."""
    return AsyncMongoClient(
        settings.url.get_secret_value(),
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=settings.server_selection_timeout_ms,
        journal=settings.journal,
    )


@dataclass(frozen=True, slots=True)
class IndexSpec:
    """One index of one collection, declared in code next to its repository."""

    collection: str
    keys: Sequence[tuple[str, int]]
    name: str
    unique: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)


async def ensure_indexes(
    db: AsyncDatabase[Document],
    specs: Sequence[IndexSpec],
    retired: Sequence[tuple[str, str]] = (),
) -> None:
    """Create every declared index (a no-op for those that exist), and drop the
    ``(collection, name)`` indexes an earlier release made that nothing reads now
    (each costs every write that touches its keys)."""
    for collection, name in retired:
        existing = [index["name"] async for index in await db[collection].list_indexes()]
        if name in existing:
            await db[collection].drop_index(name)
            log.info("mongo.index_retired", database=db.name, collection=collection, name=name)
    for spec in specs:
        await db[spec.collection].create_index(
            list(spec.keys), name=spec.name, unique=spec.unique, **dict(spec.options)
        )
    log.info("mongo.indexes_ready", database=db.name, count=len(specs))


async def ping(client: AsyncMongoClient[Document]) -> bool:
    """True when the server answers."""
    try:
        await client.admin.command("ping")
    except PyMongoError:
        return False
    return True
