"""Cases in MongoDB, and which case each conversation's contacts currently join.

A case's ``version`` counts changes to what agents edit (status, priority, queue,
assignee, tags, custom fields, subject, CSAT): it is the case's ETag, so two agents
editing one case cannot overwrite each other. Activity timestamps move without it,
or a busy chat would refuse every edit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from case_service.domain.lifecycle import (
    ACTIVE,
    Assignment,
    CasePolicy,
    CaseStatus,
    Contact,
    ContactOutcome,
    customer_contact,
    first_case_id,
    follow_up_case_id,
    status_fields,
)
from case_service.domain.search import searchable
from case_service.domain.sla import sla_fields
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


def _seen(case: dict[str, Any] | None) -> dict[str, Any]:
    """What a contact's assignment reports of the case it joined (for live views)."""
    if case is None:
        return {}
    return {
        "status": case["status"],
        "assignee_id": case.get("assignee_id"),
        "queue": case.get("queue"),
    }


class VersionConflict(Exception):
    """The case changed since the caller read it (If-Match failed)."""


class CaseRepository:
    def __init__(
        self,
        db: AsyncDatabase[Document],
        policy_for: Callable[[str], CasePolicy] = lambda tenant_id: CasePolicy(),
    ) -> None:
        self._cases = db[CASES]
        self._conversations = db[CONVERSATIONS]
        self._policy_for = policy_for

    async def assign(self, contact: Contact) -> Assignment:
        """The case a contact joins: its conversation's, reopened, or a new one.

        The consumer handles one conversation's events in order, so reading the
        conversation's case and then writing is safe.
        """
        conversation_id = f"{contact.tenant_id}\x1f{contact.conversation_key}"
        mapping = await self._conversations.find_one({"_id": conversation_id})
        current = await self._cases.find_one({"_id": mapping["case_id"]}) if mapping else None
        if current is None:
            joined = await self._open_case_to_join(contact)
            case_id = (
                joined["_id"]
                if joined
                else first_case_id(contact.tenant_id, contact.conversation_key)
            )
            await self._create(case_id, contact)
            if joined:
                await self._touch(case_id, contact.at, returned=True)
            await self._map(conversation_id, contact.tenant_id, case_id)
            return Assignment(case_id, ContactOutcome.JOIN, **_seen(joined))
        if not contact.from_customer:
            await self._touch(current["_id"], contact.at)
            return Assignment(current["_id"], ContactOutcome.JOIN, **_seen(current))
        outcome = customer_contact(current, contact.at, self._policy_for(contact.tenant_id))
        if outcome is ContactOutcome.NEW_CASE:
            if current["status"] == CaseStatus.SOLVED:
                await self._set_status(current, CaseStatus.CLOSED, contact.at)
            case_id = follow_up_case_id(
                contact.tenant_id, contact.conversation_key, contact.event_id
            )
            await self._create(case_id, contact, follows=current["_id"])
            await self._map(conversation_id, contact.tenant_id, case_id)
            return Assignment(case_id, outcome, previous_case_id=current["_id"])
        seen = _seen(current)
        if outcome is not ContactOutcome.JOIN:
            await self._set_status(current, CaseStatus.OPEN, contact.at)
            seen["status"] = CaseStatus.OPEN.value
        await self._touch(current["_id"], contact.at, returned=outcome is not ContactOutcome.JOIN)
        return Assignment(current["_id"], outcome, **seen)

    async def _open_case_to_join(self, contact: Contact) -> dict[str, Any] | None:
        """The customer's newest active case on the channel, where the tenant's rules join one."""
        if contact.channel not in self._policy_for(contact.tenant_id).join_open_case_channels:
            return None
        cursor = (
            self._cases.find(
                {
                    "tenant_id": contact.tenant_id,
                    "customer_id": contact.customer_id,
                    "channel": contact.channel,
                    "status": {"$in": sorted(ACTIVE)},
                },
                projection={"status": 1, "assignee_id": 1, "queue": 1},
            )
            .sort("opened_at", -1)
            .limit(1)
        )
        found = [doc async for doc in cursor]
        return found[0] if found else None

    async def _create(self, case_id: str, contact: Contact, follows: str | None = None) -> None:
        await self._cases.update_one(
            {"_id": case_id},
            {
                "$setOnInsert": {
                    "tenant_id": contact.tenant_id,
                    "customer_id": contact.customer_id,
                    "conversation_key": contact.conversation_key,
                    "channel": contact.channel,
                    "subject": contact.subject,
                    "status": CaseStatus.NEW.value,
                    "priority": "normal",
                    "tags": [],
                    "custom_fields": {},
                    "opened_at": contact.at,
                    "follows_case_id": follows,
                    "version": 1,
                    **searchable([contact.subject]),
                    **sla_fields(self._policy_for(contact.tenant_id).sla, contact.at, "normal"),
                },
                "$max": {"last_activity_at": contact.at},
            },
            upsert=True,
        )

    async def _map(self, conversation_id: str, tenant_id: str, case_id: str) -> None:
        await self._conversations.update_one(
            {"_id": conversation_id},
            {"$set": {"tenant_id": tenant_id, "case_id": case_id}},
            upsert=True,
        )

    async def _touch(self, case_id: str, at: datetime, *, returned: bool = False) -> None:
        """Note activity; ``returned``: the customer had to come back (no first-contact
        resolution): they answered a pending case, reopened it, or called again."""
        update: dict[str, Any] = {"$max": {"last_activity_at": at}}
        if returned:
            update["$inc"] = {"customer_returns": 1}
        await self._cases.update_one({"_id": case_id}, update)

    async def _set_status(self, case: dict[str, Any], target: CaseStatus, at: datetime) -> None:
        fields = status_fields(target, at, case)
        update: dict[str, Any] = {"$set": fields, "$inc": {"version": 1}}
        if "reopened_at" in fields:
            update["$inc"]["reopen_count"] = 1
        await self._cases.update_one({"_id": case["_id"]}, update)

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

    async def note_agent_reply(self, case: dict[str, Any], at: datetime) -> None:
        """An agent answered: the first response is timed, and a new case is open."""
        update: dict[str, Any] = {"$max": {"last_activity_at": at}}
        if case.get("first_response_at") is None:
            update["$min"] = {"first_response_at": at}
        if case["status"] == CaseStatus.NEW:
            update["$set"] = {"status": CaseStatus.OPEN.value}
            update["$inc"] = {"version": 1}
        await self._cases.update_one({"_id": case["_id"]}, update)

    async def update(
        self,
        tenant_id: str,
        case_id: str,
        *,
        expected_version: int | None,
        fields: dict[str, Any],
    ) -> dict[str, Any] | None:
        """Apply an edit if the case is still at ``expected_version`` (None: whatever it is).

        Returns the updated case, None if there is no such case; raises
        VersionConflict if someone changed it meanwhile.
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
            return dict(updated)
        if await self.get(tenant_id, case_id) is None:
            return None
        raise VersionConflict(case_id)

    def sla_for_priority(self, case: dict[str, Any], priority: str) -> dict[str, Any]:
        """The due-time fields a priority change sets (the clock still starts at opening)."""
        fields = sla_fields(self._policy_for(case["tenant_id"]).sla, case["opened_at"], priority)
        if not fields:
            return {}
        dotted = {f"sla.{name}": due for name, due in fields["sla"].items()}
        return {**dotted, "sla_check_at": fields["sla_check_at"]}

    async def due_for_sla_check(self, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Cases with a due time passed since they were last checked."""
        cursor = self._cases.find({"sla_check_at": {"$lte": now}}).limit(limit)
        return [doc async for doc in cursor]

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

    async def latest_reachable(
        self, tenant_id: str, customer_id: str, channel: str
    ) -> dict[str, Any] | None:
        """The customer's newest case on ``channel`` they wrote on (it has a reply address)."""
        cursor = (
            self._cases.find({"tenant_id": tenant_id, "customer_id": customer_id})
            .sort("opened_at", -1)
            .limit(100)
        )
        async for doc in cursor:
            if doc["channel"] == channel and doc.get("reply_to"):
                return dict(doc)
        return None

    async def assignee_of_conversation(self, tenant_id: str, conversation_key: str) -> str | None:
        """The agent assigned to the case the conversation's contacts join now."""
        mapping = await self._conversations.find_one({"_id": f"{tenant_id}\x1f{conversation_key}"})
        if mapping is None:
            return None
        case = await self._cases.find_one(
            {"_id": mapping["case_id"], "tenant_id": tenant_id}, {"assignee_id": 1}
        )
        return case.get("assignee_id") if case else None

    async def get(self, tenant_id: str, case_id: str) -> dict[str, Any] | None:
        """One case of the tenant."""
        return await self._cases.find_one({"_id": case_id, "tenant_id": tenant_id})

    async def list_for_customer(self, tenant_id: str, customer_id: str) -> list[dict[str, Any]]:
        """The customer's cases, newest first."""
        cursor = self._cases.find({"tenant_id": tenant_id, "customer_id": customer_id}).sort(
            "opened_at", -1
        )
        return [doc async for doc in cursor]
