"""Cases in MongoDB, and which case each conversation's contacts currently join.

A case's ``version`` counts changes to what agents edit (status, priority, queue,
assignee, tags, custom fields, subject, CSAT): it is the case's ETag, so two agents
editing one case cannot overwrite each other. Activity timestamps move without it,
or a busy chat would refuse every edit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from case_service.domain.errors import StaleVersion
from case_service.domain.lifecycle import ACTIVE, CaseStatus
from case_service.domain.model import Case
from case_service.domain.search import searchable
from cc_common.mongo import Document, IndexSpec

CASES = "cases"
CONVERSATIONS = "conversations"

INDEXES = (
    IndexSpec(CASES, [("tenant_id", 1), ("customer_id", 1), ("opened_at", -1)], "by_customer"),
    IndexSpec(
        CASES, [("tenant_id", 1), ("customer_id", 1), ("channel", 1), ("status", 1)], "open_cases"
    ),
    IndexSpec(CASES, [("tenant_id", 1), ("grams", 1)], "search"),
    IndexSpec(CASES, [("sla_check_at", 1)], "sla_watch", options={"sparse": True}),
)


def case_from_document(doc: Document) -> Case:
    return Case.model_validate({**doc, "id": doc["_id"]})


def case_document(case: Case) -> dict[str, Any]:
    """The stored form of a case, with its search grams. Unset fields stay absent
    (a stored null would win every later ``$min``)."""
    doc = case.model_dump(mode="python", exclude={"id"}, exclude_none=True)
    doc["status"] = case.status.value
    return {"_id": case.id, **doc, **searchable([case.subject])}


def conversation_id(tenant_id: str, conversation_key: str) -> str:
    return f"{tenant_id}\x1f{conversation_key}"


class CaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._cases = db[CASES]
        self._conversations = db[CONVERSATIONS]

    async def of_conversation(self, tenant_id: str, conversation_key: str) -> Case | None:
        """The case the conversation's contacts join now (None: it has none yet)."""
        mapping = await self._conversations.find_one(
            {"_id": conversation_id(tenant_id, conversation_key)}
        )
        if mapping is None:
            return None
        doc = await self._cases.find_one({"_id": mapping["case_id"]})
        return case_from_document(doc) if doc else None

    async def newest_active_on_channel(
        self, tenant_id: str, customer_id: str, channel: str
    ) -> Case | None:
        """The customer's newest active case on the channel."""
        cursor = (
            self._cases.find(
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "channel": channel,
                    "status": {"$in": sorted(ACTIVE)},
                }
            )
            .sort("opened_at", -1)
            .limit(1)
        )
        found = [case_from_document(doc) async for doc in cursor]
        return found[0] if found else None

    async def create(self, case: Case) -> None:
        """Store a new case; a replay of the contact that opened it changes nothing."""
        doc = case_document(case)
        del doc["_id"]
        last_activity = doc.pop("last_activity_at")
        await self._cases.update_one(
            {"_id": case.id},
            {"$setOnInsert": doc, "$max": {"last_activity_at": last_activity}},
            upsert=True,
        )

    async def point_conversation(self, tenant_id: str, conversation_key: str, case_id: str) -> None:
        """The conversation's next contacts join ``case_id``."""
        await self._conversations.update_one(
            {"_id": conversation_id(tenant_id, conversation_key)},
            {"$set": {"tenant_id": tenant_id, "case_id": case_id}},
            upsert=True,
        )

    async def touch(self, case_id: str, at: datetime, *, returned: bool = False) -> None:
        """Note activity; ``returned``: the customer had to come back (no first-contact
        resolution): they answered a pending case, reopened it, or called again."""
        update: dict[str, Any] = {"$max": {"last_activity_at": at}}
        if returned:
            update["$inc"] = {"customer_returns": 1}
        await self._cases.update_one({"_id": case_id}, update)

    async def note_inbound(
        self,
        case_id: str,
        *,
        reply_to: dict[str, Any] | None,
        message_id: str | None,
        at: datetime,
    ) -> None:
        """Remember where replies on the case go and which message they answer.

        A case's events arrive in order (one conversation), so read-then-write is
        safe; an older message replayed later does not move the answer back.
        """
        current = await self._cases.find_one({"_id": case_id}, projection={"last_inbound_at": 1})
        if current is None:
            return
        last = current.get("last_inbound_at")
        if last is not None and last > at:
            return
        await self._cases.update_one(
            {"_id": case_id},
            {
                "$set": {
                    "reply_to": reply_to,
                    "last_inbound_message_id": message_id,
                    "last_inbound_at": at,
                }
            },
        )

    async def note_agent_reply(self, case: Case, at: datetime) -> None:
        """An agent answered: the first response is timed, and a new case is open."""
        update: dict[str, Any] = {"$max": {"last_activity_at": at}}
        if case.first_response_at is None:
            update["$min"] = {"first_response_at": at}
        if case.status is CaseStatus.NEW:
            update["$set"] = {"status": CaseStatus.OPEN.value}
            update["$inc"] = {"version": 1}
        await self._cases.update_one({"_id": case.id}, update)

    async def update(
        self,
        tenant_id: str,
        case_id: str,
        *,
        expected_version: int | None,
        fields: dict[str, Any],
    ) -> Case | None:
        """Apply an edit if the case is still at ``expected_version`` (None: whatever it is).

        Returns the updated case, None if there is no such case; raises
        StaleVersion if someone changed it meanwhile.
        """
        updated = await self._cases.find_one_and_update(
            {
                "_id": case_id,
                "tenant_id": tenant_id,
                **({"version": expected_version} if expected_version is not None else {}),
            },
            {
                "$set": fields,
                "$inc": {"version": 1, **({"reopen_count": 1} if "reopened_at" in fields else {})},
            },
            return_document=ReturnDocument.AFTER,
        )
        if updated is not None:
            return case_from_document(updated)
        if await self.get(tenant_id, case_id) is None:
            return None
        raise StaleVersion("The case changed since you read it: read it again, then edit.")

    async def due_for_sla_check(self, now: datetime, limit: int = 200) -> list[Case]:
        """Cases with a due time passed since they were last checked."""
        cursor = self._cases.find({"sla_check_at": {"$lte": now}}).limit(limit)
        return [case_from_document(doc) async for doc in cursor]

    async def record_sla_check(
        self, case_id: str, *, breached: dict[str, datetime], next_check: datetime | None
    ) -> None:
        """Mark breaches (at their due time) and when to look at the case next."""
        fields: dict[str, Any] = {f"sla.{t}_breached_at": due for t, due in breached.items()}
        update: dict[str, Any] = {"$set": {**fields, "sla_check_at": next_check}}
        if next_check is None:
            update = (
                {"$set": fields, "$unset": {"sla_check_at": ""}}
                if fields
                else {"$unset": {"sla_check_at": ""}}
            )
        await self._cases.update_one({"_id": case_id}, update)

    async def latest_reachable(self, tenant_id: str, customer_id: str, channel: str) -> Case | None:
        """The customer's newest case on ``channel`` they wrote on (it has a reply address)."""
        cursor = (
            self._cases.find({"tenant_id": tenant_id, "customer_id": customer_id})
            .sort("opened_at", -1)
            .limit(100)
        )
        async for doc in cursor:
            if doc["channel"] == channel and doc.get("reply_to"):
                return case_from_document(doc)
        return None

    async def assignee_of_conversation(self, tenant_id: str, conversation_key: str) -> str | None:
        """The agent assigned to the case the conversation's contacts join now."""
        mapping = await self._conversations.find_one(
            {"_id": conversation_id(tenant_id, conversation_key)}
        )
        if mapping is None:
            return None
        case = await self._cases.find_one(
            {"_id": mapping["case_id"], "tenant_id": tenant_id}, {"assignee_id": 1}
        )
        return case.get("assignee_id") if case else None

    async def get(self, tenant_id: str, case_id: str) -> Case | None:
        """One case of the tenant."""
        doc = await self._cases.find_one({"_id": case_id, "tenant_id": tenant_id})
        return case_from_document(doc) if doc else None

    async def list_for_customer(self, tenant_id: str, customer_id: str) -> list[Case]:
        """The customer's cases, newest first."""
        cursor = self._cases.find({"tenant_id": tenant_id, "customer_id": customer_id}).sort(
            "opened_at", -1
        )
        return [case_from_document(doc) async for doc in cursor]
