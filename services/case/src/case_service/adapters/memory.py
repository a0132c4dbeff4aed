"""In-memory implementations of the ports, for use-case tests (fast, no database).

They keep the semantics the use cases rely on (an entry stored twice is stored
once, a case edit bumps its version and checks the expected one), not MongoDB's
query language; the MongoDB adapters have their own tests against a real server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from case_service.domain.case_moves import MovingEntry
from case_service.domain.errors import StaleVersion
from case_service.domain.lifecycle import ACTIVE, CaseStatus
from case_service.domain.merging import Resolution
from case_service.domain.model import Case
from case_service.domain.replies import AWAITING_APPROVAL, HELD
from cc_common.events import CaseChanged
from cc_common.events.owed import EVENTS, PENDING, SINCE, Owed

Entry = dict[str, Any]


def _dotted(case: Case, fields: Mapping[str, Any]) -> Case:
    """``case`` with ``fields`` set (``a.b`` sets key b of dict field a)."""
    data = case.model_dump()
    for name, value in fields.items():
        head, _, rest = name.partition(".")
        if rest:
            data[head] = {**(data.get(head) or {}), rest: value}
        else:
            data[head] = value
    return Case.model_validate(data)


class MemoryCases:
    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.conversations: dict[tuple[str, str], str] = {}

    async def get(self, tenant_id: str, case_id: str) -> Case | None:
        case = self.cases.get(case_id)
        return case if case and case.tenant_id == tenant_id else None

    async def of_conversation(self, tenant_id: str, conversation_key: str) -> Case | None:
        case_id = self.conversations.get((tenant_id, conversation_key))
        return self.cases.get(case_id) if case_id else None

    async def newest_active_on_channel(
        self, tenant_id: str, customer_id: str, channel: str
    ) -> Case | None:
        found = [
            c
            for c in self.cases.values()
            if (c.tenant_id, c.customer_id, c.channel) == (tenant_id, customer_id, channel)
            and c.status in ACTIVE
        ]
        return max(found, key=lambda c: c.opened_at, default=None)

    async def latest_reachable(self, tenant_id: str, customer_id: str, channel: str) -> Case | None:
        found = [
            c
            for c in self.cases.values()
            if (c.tenant_id, c.customer_id, c.channel) == (tenant_id, customer_id, channel)
            and c.reply_to
        ]
        return max(found, key=lambda c: c.opened_at, default=None)

    async def list_for_customer(self, tenant_id: str, customer_id: str) -> list[Case]:
        found = [
            c
            for c in self.cases.values()
            if (c.tenant_id, c.customer_id) == (tenant_id, customer_id)
        ]
        return sorted(found, key=lambda c: c.opened_at, reverse=True)

    async def create(self, case: Case) -> None:
        self.cases.setdefault(case.id, case)

    async def point_conversation(self, tenant_id: str, conversation_key: str, case_id: str) -> None:
        self.conversations[(tenant_id, conversation_key)] = case_id

    async def touch(self, case_id: str, at: datetime, *, returned: bool = False) -> None:
        case = self.cases[case_id]
        last = max(filter(None, [case.last_activity_at, at]))
        returns = case.customer_returns + (1 if returned else 0)
        self.cases[case_id] = case.model_copy(
            update={"last_activity_at": last, "customer_returns": returns}
        )

    async def update(
        self,
        tenant_id: str,
        case_id: str,
        *,
        expected_version: int | None,
        fields: dict[str, Any],
    ) -> Case | None:
        case = await self.get(tenant_id, case_id)
        if case is None:
            return None
        if expected_version is not None and case.version != expected_version:
            raise StaleVersion("The case changed since you read it: read it again, then edit.")
        updated = _dotted(case, fields).model_copy(
            update={
                "version": case.version + 1,
                "reopen_count": case.reopen_count + (1 if "reopened_at" in fields else 0),
            }
        )
        self.cases[case_id] = updated
        return updated

    async def note_inbound(
        self,
        case_id: str,
        *,
        reply_to: dict[str, Any] | None,
        message_id: str | None,
        at: datetime,
    ) -> None:
        case = self.cases.get(case_id)
        if case is None or (case.last_inbound_at is not None and case.last_inbound_at > at):
            return
        self.cases[case_id] = case.model_copy(
            update={
                "reply_to": reply_to,
                "last_inbound_message_id": message_id,
                "last_inbound_at": at,
            }
        )

    async def note_agent_reply(self, case: Case, at: datetime) -> None:
        current = self.cases[case.id]
        update: dict[str, Any] = {"first_response_at": current.first_response_at or at}
        if current.status is CaseStatus.NEW:
            update.update(status=CaseStatus.OPEN, version=current.version + 1)
        self.cases[case.id] = current.model_copy(update=update)


class MemoryTimeline:
    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}

    async def add(self, entry: Entry) -> None:
        self.entries.setdefault(entry["_id"], entry)

    async def get(self, tenant_id: str, entry_id: str) -> Entry | None:
        entry = self.entries.get(entry_id)
        return entry if entry and entry.get("tenant_id", tenant_id) == tenant_id else None

    async def put(self, entry: Entry) -> None:
        self.entries[entry["_id"]] = entry

    async def flag(self, entry_id: str, field: str) -> None:
        self.entries[entry_id][field] = True

    async def owner_of(self, tenant_id: str, entry_id: str) -> tuple[str, str] | None:
        entry = self.entries.get(entry_id) or next(
            (e for e in self.entries.values() if entry_id in e.get("call_event_ids", ())), None
        )
        return (entry["customer_id"], entry["case_id"]) if entry else None

    async def adopt_pending(
        self, tenant_id: str, interaction_id: str, *, customer_id: str, case_id: str
    ) -> None:
        for entry in self.entries.values():
            if entry.get("interaction_id") == interaction_id and entry["customer_id"] is None:
                entry.update(customer_id=customer_id, case_id=case_id)

    async def create_reply(self, entry: Entry) -> Entry:
        return self.entries.setdefault(entry["_id"], entry)

    async def replies_awaiting_approval(self, tenant_id: str) -> list[Entry]:
        return [
            e
            for e in self.entries.values()
            if e["tenant_id"] == tenant_id and e.get("reply", {}).get("status") == AWAITING_APPROVAL
        ]

    async def decide_reply(
        self, tenant_id: str, reply_id: str, *, decision: dict[str, Any], at: datetime
    ) -> Entry | None:
        entry = self.entries.get(reply_id)
        if not entry or entry["tenant_id"] != tenant_id:
            return None
        if entry["reply"]["status"] != AWAITING_APPROVAL:
            return None
        held = entry.pop(HELD, [])
        approved = decision["state"] == "approved"
        entry["reply"] = {
            **entry["reply"],
            "status": "pending" if approved else "failed",
            "approval": decision,
        }
        if approved:
            entry.update({EVENTS: held, PENDING: True, SINCE: at})
        return entry

    async def outbox_sent(self, entry_id: str) -> None:
        for name in (PENDING, EVENTS, SINCE):
            self.entries[entry_id].pop(name, None)

    async def settle_reply(
        self, tenant_id: str, reply_id: str, *, status: str, details: dict[str, Any]
    ) -> bool:
        entry = self.entries.get(reply_id)
        if entry is None or entry.get("entry_type") != "reply":
            return False
        entry["reply"].update(status=status, **details)
        return True

    async def note_delivery(
        self,
        tenant_id: str,
        provider_message_id: str,
        *,
        status: str,
        at: datetime,
        error: dict[str, str] | None = None,
    ) -> None:
        for entry in self.entries.values():
            if entry.get("reply", {}).get("provider_message_id") == provider_message_id:
                entry["reply"].setdefault("delivery", {})[status] = at
                if error:
                    entry["reply"]["delivery_error"] = error

    def of_case(self, case_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.get("case_id") == case_id]


class MemoryMoves:
    """Case moves over a MemoryCases and a MemoryTimeline."""

    def __init__(self, cases: MemoryCases, timeline: MemoryTimeline) -> None:
        self._cases = cases
        self._timeline = timeline

    async def moving_entries(
        self, tenant_id: str, case_id: str, entry_ids: list[str]
    ) -> list[MovingEntry]:
        return [
            MovingEntry(e["entry_type"], e["occurred_at"], e["channel"])
            for e in self._timeline.of_case(case_id)
            if e["_id"] in entry_ids
        ]

    async def move_entries(
        self, tenant_id: str, source_id: str, target_id: str, entry_ids: list[str] | None = None
    ) -> None:
        for entry in self._timeline.of_case(source_id):
            if entry_ids is None and entry["entry_type"] == "case":
                continue
            if entry_ids is None or entry["_id"] in entry_ids:
                entry["case_id"] = target_id
                entry.setdefault("moved_from", []).append(source_id)

    async def close_merged(
        self, tenant_id: str, source_id: str, target_id: str, at: datetime
    ) -> None:
        for key, case_id in self._cases.conversations.items():
            if case_id == source_id:
                self._cases.conversations[key] = target_id
        source = self._cases.cases[source_id]
        self._cases.cases[source_id] = source.model_copy(
            update={
                "status": CaseStatus.CLOSED,
                "closed_at": at,
                "merged_into": target_id,
                "version": source.version + 1,
            }
        )

    async def insert(self, case: Case) -> None:
        self._cases.cases[case.id] = case

    async def bump(self, case_id: str, at: datetime | None = None) -> None:
        case = self._cases.cases[case_id]
        self._cases.cases[case_id] = case.model_copy(update={"version": case.version + 1})


@dataclass
class MemoryCustomers:
    """Every contact belongs to the customer its first key names (``keys[0]``)."""

    resolutions: dict[str, Resolution] = field(default_factory=dict)

    async def resolve(
        self, tenant_id: str, keys: list[str], *, display_name: str | None, seen_at: datetime
    ) -> Resolution:
        return self.resolutions.get(keys[0], Resolution(f"customer:{keys[0]}"))


@dataclass
class RecordedAnnouncements:
    changes: list[tuple[str, str, str | None]] = field(default_factory=list)
    """(case id, entry kind, actor) of each case change announced."""
    typists: list[tuple[str, str, bool]] = field(default_factory=list)
    presences: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    broker_down: bool = False

    async def case_changed(self, case: Case, entry: Mapping[str, Any], actor: str | None) -> None:
        self.changes.append((case.id, entry["kind"], actor))

    async def typing(self, case: Case, *, agent: str, active: bool) -> None:
        self.typists.append((case.id, agent, active))

    async def presence(
        self, case: Case, *, agent: str, state: str, taken_over_by: str | None = None
    ) -> None:
        self.presences.append((case.id, agent, state, taken_over_by))

    async def owed(self, owed: Sequence[Owed]) -> bool:
        if self.broker_down:
            return False
        for item in owed:
            data = item.event.data
            if isinstance(data, CaseChanged):
                self.changes.append((data.case_id, data.change, data.actor))
            else:
                self.replies.append(str(item.event.id))
        return True
