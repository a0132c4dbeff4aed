"""Recording a batch of contacts at once: the messages and routing changes of a
consumer batch read with one query per collection, placed in memory by the same
rules as one contact (``domain/placement.py``), and written with one bulk write per
collection. Anything unusual goes through ``ContactRecorder`` alone, in its place
in the batch: calls, delivery receipts, sent replies, failed replies, replays, a
contact whose identities name several customers or a new identity of a known
customer, a renamed customer, and a conversation's first contact on a channel
that may join the customer's open case.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from case_service.domain.identity import IdentityRules, claimed_keys, keys_in_priority
from case_service.domain.lifecycle import CasePolicy, ContactOutcome, assignee_after
from case_service.domain.model import Case
from case_service.domain.placement import Placement, joins_open_case, place_contact
from case_service.domain.replies import reply_target
from case_service.domain.timeline import contact_outcome_entry, interaction_entry, routing_entry
from case_service.ports import (
    Announcements,
    CaseChange,
    ContactBatches,
    ContactWrites,
    CustomerSeen,
    Entry,
    IdentityClaims,
)
from case_service.service.contact_recorder import ContactRecorder, contact_of
from cc_common.events import (
    INTERACTION_RECEIVED,
    Direction,
    Envelope,
    Interaction,
    InteractionKind,
    RoutingChange,
)

Owner = tuple[str, str | None]
"""(customer, case) of a stored or placed interaction."""


def batchable(event: Envelope[Any]) -> bool:
    """A message (no reply of ours being confirmed) or a routing change."""
    data = event.data
    if isinstance(data, RoutingChange):
        return True
    return (
        isinstance(data, Interaction)
        and event.type == INTERACTION_RECEIVED
        and data.kind is InteractionKind.MESSAGE
        and "reply_id" not in data.provider_ids
    )


@dataclass(slots=True)
class _Plan:
    """What the first ``count`` events of a run change, worked out in memory."""

    count: int = 0
    writes: ContactWrites = field(default_factory=ContactWrites)
    announce: list[tuple[Case, Entry]] = field(default_factory=list)
    placed: list[tuple[str, str, str, str]] = field(default_factory=list)


@dataclass(slots=True)
class _Reads:
    """A run's stored state, read once and kept current as the run is planned."""

    stored: dict[str, Owner]
    owners: dict[str, str]
    names: dict[str, str | None]
    cases: dict[tuple[str, str], Case]
    claimants: dict[str, set[str]]
    """Identity key -> the customers who typed it (for the keys a link may need)."""


class ContactBatchRecorder:
    def __init__(
        self,
        *,
        recorder: ContactRecorder,
        batches: ContactBatches,
        announcements: Announcements,
        claims: IdentityClaims | None = None,
        rules: Callable[[str], IdentityRules] = lambda tenant_id: IdentityRules(),
        policy_for: Callable[[str], CasePolicy] = lambda tenant_id: CasePolicy(),
    ) -> None:
        self._alone = recorder
        self._claims = claims
        self._batches = batches
        self._announcements = announcements
        self._rules = rules
        self._policy_for = policy_for

    async def record(
        self, events: Sequence[Envelope[Any]], trace_ids: dict[str, str | None]
    ) -> None:
        """Record the events in their order (``trace_ids``: event id -> its trace)."""
        run: list[Envelope[Any]] = []
        for event in events:
            if batchable(event):
                run.append(event)
                continue
            await self._record_run(run, trace_ids)
            run = []
            await self._alone.record(event, trace_ids.get(str(event.id)))
        await self._record_run(run, trace_ids)

    async def _record_run(
        self, events: Sequence[Envelope[Any]], trace_ids: dict[str, str | None]
    ) -> None:
        while events:
            plan = await self._plan(events, trace_ids)
            await self._apply(plan)
            if plan.count < len(events):
                alone = events[plan.count]
                await self._alone.record(alone, trace_ids.get(str(alone.id)))
            events = events[plan.count + 1 :]

    async def _plan(
        self, events: Sequence[Envelope[Any]], trace_ids: dict[str, str | None]
    ) -> _Plan:
        reads = await self._read(events)
        plan = _Plan()
        claims: dict[str, tuple[str, str]] = {}
        placed: set[str] = set()
        for event in events:
            if isinstance(event.data, RoutingChange):
                owner = reads.stored.get(str(event.data.interaction_id), (None, None))
                plan.writes.entries.append(
                    routing_entry(
                        event,
                        customer_id=owner[0],
                        case_id=owner[1],
                        trace_id=trace_ids.get(str(event.id)),
                    )
                )
                assignee = assignee_after(event.data)
                if assignee and owner[1]:
                    plan.writes.cases.append(
                        CaseChange(
                            owner[1], event.tenant_id, status_fields={"assignee_id": assignee}
                        )
                    )
            elif str(event.id) in placed:
                pass  # a resend of a message this run placed: stored once
            elif not await self._place(event, reads, plan, claims, trace_ids):
                break
            else:
                placed.add(str(event.id))
            plan.count += 1
        if claims:
            won = await self._batches.claim_identities(claims)
            if any(won.get(key) != customer for key, (_, customer) in claims.items()):
                # Another consumer gave a new identity a customer first: start again
                # from the stored state (the first event then goes alone).
                return _Plan()
        return plan

    async def _read(self, events: Sequence[Envelope[Any]]) -> _Reads:
        interactions = [e for e in events if isinstance(e.data, Interaction)]
        routed = [e for e in events if isinstance(e.data, RoutingChange)]
        ids = [str(e.id) for e in interactions] + [str(e.data.interaction_id) for e in routed]
        stored = await self._batches.stored_entries(ids)
        in_run = {str(e.id) for e in interactions}
        calls = [
            (e.tenant_id, str(e.data.interaction_id))
            for e in routed
            if str(e.data.interaction_id) not in stored.keys() | in_run
        ]
        stored |= await self._batches.calls_of_events(calls)
        keys = sorted({k for e in interactions for k in self._keys(e)})
        claimed = sorted({k for e in interactions for k in self._claimed(e)})
        owners = await self._batches.identity_owners(sorted({*keys, *claimed}))
        names = await self._batches.customer_names(sorted(set(owners.values())))
        conversations = sorted({(e.tenant_id, e.data.conversation_key) for e in interactions})
        cases = await self._batches.cases_of_conversations(conversations)
        unowned = [k for k in keys if k not in owners]
        claimants = {}
        if self._claims is not None and (claimed or unowned):
            claimants = await self._claims.claimants(sorted({*claimed, *unowned}))
        return _Reads(stored, owners, names, cases, claimants)

    def _keys(self, event: Envelope[Interaction]) -> list[str]:
        customer = event.data.customer()
        identities = customer.identities if customer else ()
        rules = self._rules(event.tenant_id)
        return keys_in_priority(event.tenant_id, identities, rules.phone_region)

    def _claimed(self, event: Envelope[Interaction]) -> list[str]:
        customer = event.data.customer()
        identities = customer.identities if customer else ()
        rules = self._rules(event.tenant_id)
        return claimed_keys(event.tenant_id, identities, rules.phone_region)

    async def _place(
        self,
        event: Envelope[Interaction],
        reads: _Reads,
        plan: _Plan,
        claims: dict[str, tuple[str, str]],
        trace_ids: dict[str, str | None],
    ) -> bool:
        """Place one message in memory; False when it must be recorded alone."""
        if str(event.id) in reads.stored:
            return False  # a replay: the one-contact path finishes what was left
        customer_id = self._customer(event, reads, plan, claims)
        if customer_id is None:
            return False
        contact = contact_of(event, customer_id)
        policy = self._policy_for(event.tenant_id)
        conversation = (event.tenant_id, contact.conversation_key)
        current = reads.cases.get(conversation)
        if current is None and joins_open_case(contact, policy):
            return False
        placement = place_contact(contact, current=current, joinable=None, policy=policy)
        case = _change_cases(placement, contact.at, plan.writes)
        reads.cases[conversation] = case
        if placement.conversation_moves:
            plan.writes.conversations[conversation] = case.id
        if placement.outcome is not ContactOutcome.JOIN:
            plan.writes.entries.append(contact_outcome_entry(contact, placement))
        entry = interaction_entry(
            event, customer_id=customer_id, case_id=case.id, trace_id=trace_ids.get(str(event.id))
        )
        plan.writes.entries.append(entry)
        plan.announce.append((case, entry))
        plan.placed.append((event.tenant_id, str(event.id), customer_id, case.id))
        reads.stored[str(event.id)] = (customer_id, case.id)
        interaction = event.data
        if interaction.direction is Direction.INBOUND and (
            case.last_inbound_at is None or case.last_inbound_at <= event.occurred_at
        ):
            target = reply_target(interaction)
            inbound = {
                "reply_to": target.model_dump(mode="json") if target else None,
                "last_inbound_message_id": interaction.provider_message_id,
                "last_inbound_at": event.occurred_at,
            }
            plan.writes.cases.append(CaseChange(case.id, case.tenant_id, inbound=inbound))
            reads.cases[conversation] = case.model_copy(update=inbound)
        return True

    def _customer(
        self,
        event: Envelope[Interaction],
        reads: _Reads,
        plan: _Plan,
        claims: dict[str, tuple[str, str]],
    ) -> str | None:
        """The message's customer (a new one when no identity is known); None when the
        one-contact path must decide (several customers, a new identity of a known
        one, a new name, no identity at all, a typed identity not yet remembered or
        one another customer typed)."""
        keys = self._keys(event)
        found = {reads.owners[k] for k in keys if k in reads.owners}
        customer = event.data.customer()
        name = customer.display_name if customer else None
        if not keys or len(found) > 1:
            return None
        claimed = self._claimed(event)
        if any(not found or not found <= reads.claimants.get(k, set()) for k in claimed):
            return None  # the one-contact path proposes links and remembers the claim
        if not found and any(k in reads.claimants for k in keys):
            return None  # a new customer with an identity someone typed: propose a link
        if found:
            customer_id = found.pop()
            if any(k not in reads.owners for k in keys):
                return None
            if customer_id not in reads.names:
                return None  # an identity whose customer was never written: resolve alone
            if name and reads.names[customer_id] != name:
                return None
        else:
            customer_id = str(uuid.uuid4())
            for key in keys:
                reads.owners[key] = customer_id
                claims[key] = (event.tenant_id, customer_id)
            reads.names[customer_id] = name
            values = tuple(key.split("|", 2)[2] for key in keys)
            plan.writes.customers[customer_id] = CustomerSeen(
                event.tenant_id, event.occurred_at, name, created_with=values
            )
            return customer_id
        seen = plan.writes.customers.get(customer_id)
        if seen is None:
            plan.writes.customers[customer_id] = CustomerSeen(
                event.tenant_id, event.occurred_at, name
            )
        else:
            seen.seen_at = max(seen.seen_at, event.occurred_at)
            seen.contacts += 1
        return customer_id

    async def _apply(self, plan: _Plan) -> None:
        plan.writes.cases = compact(plan.writes.cases)
        await self._batches.write(plan.writes)
        if plan.placed:
            await self._batches.adopt_pending(plan.placed)
        for case, entry in plan.announce:
            await self._announcements.case_changed(case, entry, None)


def compact(changes: list[CaseChange]) -> list[CaseChange]:
    """The same changes with each case's activity folded into one update after its
    creation and status moves: on SecantusDB every update of a case rewrites all its
    index entries (its search bigrams too), so a busy conversation's fifty messages
    should cost one update, not a hundred. Activity commutes with status moves (other
    fields; ``$max`` and ``$inc``), and the newest inbound message's reply address wins.
    """
    structural = [c for c in changes if c.created is not None or c.status_fields is not None]
    activity: dict[str, CaseChange] = {}
    for change in changes:
        if change.created is not None or change.status_fields is not None:
            continue
        folded = activity.setdefault(change.case_id, CaseChange(change.case_id, change.tenant_id))
        if change.touched_at is not None:
            folded.touched_at = max(filter(None, (folded.touched_at, change.touched_at)))
        folded.returns += change.returns
        if change.inbound is not None and (
            folded.inbound is None
            or folded.inbound["last_inbound_at"] <= change.inbound["last_inbound_at"]
        ):
            folded.inbound = change.inbound
    return structural + list(activity.values())


def _change_cases(placement: Placement, at: datetime, writes: ContactWrites) -> Case:
    """Queue the case changes of a placement; the case the contact joins as it is now."""
    case = placement.case
    previous = placement.previous
    if previous is not None and placement.previous_change:
        writes.cases.append(
            CaseChange(previous.id, previous.tenant_id, status_fields=placement.previous_change)
        )
    if placement.created:
        writes.cases.append(CaseChange(case.id, case.tenant_id, created=case))
    else:
        if placement.status_change:
            writes.cases.append(
                CaseChange(case.id, case.tenant_id, status_fields=placement.status_change)
            )
            case = _with_status(case, placement.status_change)
        writes.cases.append(
            CaseChange(case.id, case.tenant_id, touched_at=at, returns=int(placement.returned))
        )
        latest = max(at, case.last_activity_at or at)
        case = case.model_copy(update={"last_activity_at": latest})
    return case


def _with_status(case: Case, fields: dict[str, Any]) -> Case:
    """The case after a status move (as the store's update leaves it)."""
    reopened = "reopened_at" in fields
    return Case.model_validate(
        {
            **case.model_dump(),
            **fields,
            "version": case.version + 1,
            "reopen_count": case.reopen_count + (1 if reopened else 0),
        }
    )
