"""What the case service's use cases need from storage and the broker.

Adapters implement these (MongoDB in ``adapters/``, the producer in
``adapters/announcements.py``); use-case tests implement them in memory.
Timeline entries are the documents ``domain/timeline.py`` builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from case_service.domain.case_moves import MovingEntry
from case_service.domain.kpis import KpiFilter
from case_service.domain.merging import Resolution
from case_service.domain.model import Case, Customer, TimelineEntry
from case_service.domain.webhooks import Settlement
from cc_common.events.owed import Owed

Entry = dict[str, Any]


class CaseStore(Protocol):
    async def get(self, tenant_id: str, case_id: str) -> Case | None: ...

    async def of_conversation(self, tenant_id: str, conversation_key: str) -> Case | None: ...

    async def newest_active_on_channel(
        self, tenant_id: str, customer_id: str, channel: str
    ) -> Case | None: ...

    async def latest_reachable(
        self, tenant_id: str, customer_id: str, channel: str
    ) -> Case | None: ...

    async def create(self, case: Case) -> None: ...

    async def point_conversation(
        self, tenant_id: str, conversation_key: str, case_id: str
    ) -> None: ...

    async def touch(self, case_id: str, at: datetime, *, returned: bool = False) -> None: ...

    async def update(
        self,
        tenant_id: str,
        case_id: str,
        *,
        expected_version: int | None,
        fields: dict[str, Any],
    ) -> Case | None: ...

    async def note_inbound(
        self,
        case_id: str,
        *,
        reply_to: dict[str, Any] | None,
        message_id: str | None,
        at: datetime,
    ) -> None: ...

    async def note_agent_reply(self, case: Case, at: datetime) -> None: ...


class CaseMoveStore(Protocol):
    async def moving_entries(
        self, tenant_id: str, case_id: str, entry_ids: list[str]
    ) -> list[MovingEntry]: ...

    async def move_entries(
        self, tenant_id: str, source_id: str, target_id: str, entry_ids: list[str] | None = None
    ) -> None: ...

    async def close_merged(
        self, tenant_id: str, source_id: str, target_id: str, at: datetime
    ) -> None: ...

    async def insert(self, case: Case) -> None: ...

    async def bump(self, case_id: str, at: datetime | None = None) -> None: ...


class CustomerStore(Protocol):
    async def resolve(
        self, tenant_id: str, keys: list[str], *, display_name: str | None, seen_at: datetime
    ) -> Resolution: ...


class IdentityClaims(Protocol):
    """Identities customers typed but never proved (see ``adapters/identity_claims.py``)."""

    async def owners(self, keys: list[str]) -> dict[str, str]: ...

    async def claimants(self, keys: list[str]) -> dict[str, set[str]]: ...

    async def record(
        self, tenant_id: str, customer_id: str, keys: list[str], *, at: datetime, event_id: str
    ) -> None: ...


class CustomerMerges(Protocol):
    async def merge(
        self,
        tenant_id: str,
        *,
        source: str,
        target: str,
        reason: str,
        actor: str,
        at: datetime,
        merge_id: str | None = None,
    ) -> dict[str, Any]: ...

    async def propose(
        self,
        tenant_id: str,
        *,
        proposal_id: str,
        customer_ids: list[str],
        reason: str,
        at: datetime,
    ) -> None: ...


class TimelineStore(Protocol):
    async def add(self, entry: Entry) -> None: ...

    async def get(self, tenant_id: str, entry_id: str) -> Entry | None: ...

    async def put(self, entry: Entry) -> None: ...

    async def flag(self, entry_id: str, field: str) -> None: ...

    async def owner_of(self, tenant_id: str, entry_id: str) -> tuple[str, str] | None: ...

    async def adopt_pending(
        self, tenant_id: str, interaction_id: str, *, customer_id: str, case_id: str
    ) -> None: ...

    async def create_reply(self, entry: Entry) -> Entry: ...

    async def replies_awaiting_approval(self, tenant_id: str) -> list[Entry]: ...

    async def decide_reply(
        self, tenant_id: str, reply_id: str, *, decision: dict[str, Any], at: datetime
    ) -> Entry | None: ...

    async def outbox_sent(self, entry_id: str) -> None: ...

    async def settle_reply(
        self, tenant_id: str, reply_id: str, *, status: str, details: dict[str, Any]
    ) -> bool: ...

    async def note_delivery(
        self,
        tenant_id: str,
        provider_message_id: str,
        *,
        status: str,
        at: datetime,
        error: dict[str, str] | None = None,
    ) -> None: ...


class Announcements(Protocol):
    """Tell live views and integrations; the change is stored already, so a broker
    outage costs an update, not data."""

    async def case_changed(
        self, case: Case, entry: Mapping[str, Any], actor: str | None
    ) -> None: ...

    async def typing(self, case: Case, *, agent: str, active: bool) -> None: ...

    async def presence(
        self, case: Case, *, agent: str, state: str, taken_over_by: str | None = None
    ) -> None: ...

    async def owed(self, owed: Sequence[Owed]) -> bool:
        """Publish, in order, what an entry just stored owes; False: the broker is down,
        the outbox relay publishes them later."""
        ...


class CaseReads(Protocol):
    async def list_for_customer(self, tenant_id: str, customer_id: str) -> list[Case]: ...


class CustomerDirectory(Protocol):
    async def get(self, tenant_id: str, customer_id: str) -> Customer | None: ...

    async def exists(self, tenant_id: str, customer_id: str) -> bool: ...

    async def find_by_identity(self, key: str, tenant_id: str) -> str | None: ...

    async def link(self, tenant_id: str, customer_id: str, key: str) -> str: ...

    async def update_profile(
        self, tenant_id: str, customer_id: str, *, expected_version: int, fields: dict[str, Any]
    ) -> Customer | None: ...


class TimelineReads(Protocol):
    async def get(self, tenant_id: str, entry_id: str) -> Entry | None: ...

    async def page(
        self,
        *,
        tenant_id: str,
        limit: int,
        after: tuple[datetime, int, str] | None,
        window_ms: int | None = None,
        customer_id: str | None = None,
        case_id: str | None = None,
        channel: str | None = None,
        kind: str | None = None,
    ) -> list[TimelineEntry]:
        """``window_ms``: how much time the previous page covered (a hint for how
        far back to look first; never changes which entries come back)."""
        ...

    async def cases_of_interactions(
        self, tenant_id: str, interaction_ids: list[str]
    ) -> dict[str, tuple[str, str | None]]: ...


class CustomerMergeStore(CustomerMerges, Protocol):
    async def unmerge(
        self, tenant_id: str, merge_id: str, *, actor: str, at: datetime
    ) -> dict[str, Any]: ...

    async def of_customer(self, tenant_id: str, customer_id: str) -> list[dict[str, Any]]: ...

    async def proposals(self, tenant_id: str, status: str) -> list[dict[str, Any]]: ...

    async def proposal(self, tenant_id: str, proposal_id: str) -> dict[str, Any] | None: ...

    async def current(self, tenant_id: str, customer_id: str) -> str:
        """The customer as it is now: the one it was merged into, followed to the end."""
        ...

    async def dismiss(self, tenant_id: str, proposal_id: str, *, actor: str) -> bool: ...


class KpiReads(Protocol):
    async def figures(self, tenant_id: str, f: KpiFilter) -> dict[str, Any]: ...


class SearchReads(Protocol):
    async def search(
        self, scope: str, tenant_id: str, *, text: str, grams: list[str], limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        """Hits newest first, and whether every candidate was examined."""
        ...


class AuditTrail(Protocol):
    def record(self, entry: dict[str, Any]) -> None:
        """Queue a record (written in batches; never holds the request)."""
        ...

    async def query(
        self,
        tenant_id: str,
        *,
        actor: str | None,
        resource_id: str | None,
        before: datetime | None,
        limit: int,
    ) -> list[dict[str, Any]]: ...


class WebhookStore(Protocol):
    """Integrators' subscriptions and the deliveries owed to them."""

    async def subscribe(self, doc: dict[str, Any]) -> None: ...

    async def subscription(self, tenant_id: str, sub_id: str) -> dict[str, Any] | None: ...

    async def subscriptions(self, tenant_id: str) -> list[dict[str, Any]]: ...

    async def update_subscription(
        self, tenant_id: str, sub_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None: ...

    async def unsubscribe(self, tenant_id: str, sub_id: str) -> bool: ...

    async def enqueue_many(
        self, owed: Iterable[tuple[dict[str, Any], Sequence[dict[str, Any]]]], at: datetime
    ) -> None: ...

    async def claim_fresh(self, now: datetime, limit: int) -> list[dict[str, Any]]: ...

    async def claim_many(self, now: datetime, limit: int) -> list[dict[str, Any]]: ...

    async def backlog(self, now: datetime) -> tuple[int, datetime | None]: ...

    async def next_due(self) -> datetime | None: ...

    async def settle_many(self, settlements: list[Settlement]) -> None: ...

    async def deliveries(
        self, tenant_id: str, sub_id: str, status: str | None, limit: int
    ) -> list[dict[str, Any]]: ...

    async def redrive(self, tenant_id: str, delivery_id: str, now: datetime) -> bool: ...


@dataclass(slots=True)
class CaseChange:
    """One change the case consumer makes to a case, kept in the order made."""

    case_id: str
    tenant_id: str
    created: Case | None = None
    """A new case (stored once: a replay changes nothing)."""
    status_fields: dict[str, Any] | None = None
    """A status move (counts as an edit: the version moves)."""
    touched_at: datetime | None = None
    returns: int = 0
    """Times the customer had to come back (see CaseStore.touch)."""
    inbound: dict[str, Any] | None = None
    """``reply_to``, ``last_inbound_message_id`` and ``last_inbound_at`` of a newer
    inbound message."""


@dataclass(slots=True)
class CustomerSeen:
    tenant_id: str
    seen_at: datetime
    display_name: str | None = None
    contacts: int = 1
    created_with: tuple[str, ...] | None = None
    """Set for a customer the batch creates: its identities' values (for search)."""


@dataclass(slots=True)
class ContactWrites:
    """What one batch of contacts changes, written with one bulk write per collection."""

    customers: dict[str, CustomerSeen] = field(default_factory=dict)
    cases: list[CaseChange] = field(default_factory=list)
    conversations: dict[tuple[str, str], str] = field(default_factory=dict)
    """(tenant, conversation key) -> the case its next contacts join."""
    entries: list[Entry] = field(default_factory=list)


class ContactBatches(Protocol):
    """Reads and writes of many contacts at once (the case consumer's batches)."""

    async def stored_entries(self, entry_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        """Entry id -> (customer, case) of those stored with a customer."""
        ...

    async def calls_of_events(
        self, tenant_events: list[tuple[str, str]]
    ) -> dict[str, tuple[str, str | None]]:
        """Call event id (of a tenant) -> (customer, case) of the call it is part of."""
        ...

    async def identity_owners(self, keys: list[str]) -> dict[str, str]: ...

    async def claim_identities(self, claims: dict[str, tuple[str, str]]) -> dict[str, str]:
        """Give each unowned key (-> tenant, customer) its customer; every key's owner after."""
        ...

    async def customer_names(self, customer_ids: list[str]) -> dict[str, str | None]:
        """Display names of the customers that exist."""
        ...

    async def cases_of_conversations(
        self, conversations: list[tuple[str, str]]
    ) -> dict[tuple[str, str], Case]: ...

    async def write(self, writes: ContactWrites) -> None: ...

    async def adopt_pending(self, placed: list[tuple[str, str, str, str]]) -> None:
        """Give entries waiting for these interactions (tenant, interaction id, customer,
        case) their customer and case."""
        ...


UNREAD_MOST = 99
"""Unread counts stop here (the desk shows 99+): counting a year's backlog helps no one."""


class ReadMarks(Protocol):
    """Where each agent last read each case (the desk's unread counts)."""

    async def mark(self, tenant_id: str, agent_id: str, case_id: str, at: datetime) -> None: ...

    async def unread(
        self, tenant_id: str, agent_id: str, case_ids: list[str]
    ) -> dict[str, int]: ...

    async def last_activity(self, tenant_id: str, case_ids: list[str]) -> dict[str, datetime]: ...


class MacroStore(Protocol):
    """Macros and how often each was applied (see ``adapters/macros.py``)."""

    async def create(self, macro: dict[str, Any]) -> None: ...

    async def get(self, tenant_id: str, macro_id: str) -> dict[str, Any] | None: ...

    async def of_tenant(self, tenant_id: str) -> list[dict[str, Any]]: ...

    async def replace(
        self, tenant_id: str, macro_id: str, fields: dict[str, Any]
    ) -> dict[str, Any] | None: ...

    async def delete(self, tenant_id: str, macro_id: str) -> bool: ...

    async def count_use(self, tenant_id: str, macro_id: str, use_id: str, at: datetime) -> None: ...


class ArticleStore(Protocol):
    """Knowledge articles, drafts and published versions (see ``adapters/articles.py``)."""

    async def create(self, article: dict[str, Any]) -> None: ...

    async def get(self, tenant_id: str, article_id: str) -> dict[str, Any] | None: ...

    async def all(self, tenant_id: str, *, published_only: bool) -> list[dict[str, Any]]: ...

    async def edit_draft(
        self, tenant_id: str, article_id: str, draft: dict[str, Any], at: datetime
    ) -> dict[str, Any] | None: ...

    async def publish(
        self, tenant_id: str, article_id: str, at: datetime, actor: str
    ) -> dict[str, Any] | None: ...


class CaseHolds(Protocol):
    """Who has a case open or is drafting on it (see ``adapters/case_holds.py``)."""

    async def hold(
        self,
        tenant_id: str,
        case_id: str,
        agent_id: str,
        state: str,
        *,
        at: datetime,
        until: datetime,
    ) -> None: ...

    async def release(self, tenant_id: str, case_id: str, agent_id: str) -> None: ...

    async def current(
        self, tenant_id: str, case_id: str, now: datetime
    ) -> list[dict[str, Any]]: ...
