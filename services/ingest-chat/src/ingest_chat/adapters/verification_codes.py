"""Pending codes of web-chat conversations (one per conversation and kind), and how
many codes each conversation and each address was sent this hour, in MongoDB.

Each guess is counted before it is judged, with one atomic update, so parallel
guesses cannot exceed the budget; sends are counted the same way.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from cc_common.mongo import Document, IndexSpec
from ingest_chat.domain.verification import SEND_WINDOW, Challenge

VERIFICATION_CODES = "verification_codes"
VERIFICATION_SENDS = "verification_sends"
_KEPT_SECONDS = int(SEND_WINDOW.total_seconds()) * 2
INDEXES = (
    IndexSpec(
        VERIFICATION_CODES, [("expires_at", 1)], "expiry", options={"expireAfterSeconds": 3600}
    ),
    IndexSpec(
        VERIFICATION_SENDS,
        [("window_started_at", 1)],
        "expiry",
        options={"expireAfterSeconds": _KEPT_SECONDS},
    ),
)


class VerificationCodes:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._codes = db[VERIFICATION_CODES]
        self._sends = db[VERIFICATION_SENDS]

    async def allow_send(self, key: str, limit: int, now: datetime) -> bool:
        """Count one send for ``key`` in its hour; False when ``limit`` are spent."""
        window_open = {"_id": key, "window_started_at": {"$gt": now - SEND_WINDOW}}
        counted = await self._sends.find_one_and_update(
            {**window_open, "sends": {"$lt": limit}}, {"$inc": {"sends": 1}}
        )
        if counted is not None:
            return True
        if await self._sends.find_one(window_open, {"_id": 1}) is not None:
            return False
        try:  # the first send of a new hour (or ever)
            await self._sends.replace_one(
                {"_id": key, "window_started_at": {"$lte": now - SEND_WINDOW}},
                {"sends": 1, "window_started_at": now},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # a parallel request opened the window first
        return True

    async def start(
        self, challenge_id: str, address: str, digest: str, expires_at: datetime
    ) -> None:
        """The new code replaces the pending one (with a fresh budget of guesses)."""
        await self._codes.replace_one(
            {"_id": challenge_id},
            {"address": address, "digest": digest, "expires_at": expires_at, "attempts": 0},
            upsert=True,
        )

    async def guess(self, challenge_id: str) -> Challenge | None:
        """Count one guess and return the pending code as it is now (None: no code)."""
        doc = await self._codes.find_one_and_update(
            {"_id": challenge_id},
            {"$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        return Challenge(
            address=doc["address"],
            digest=doc["digest"],
            expires_at=doc["expires_at"],
            attempts=doc["attempts"],
        )

    async def spend(self, challenge_id: str) -> None:
        """A code works once."""
        await self._codes.delete_one({"_id": challenge_id})
