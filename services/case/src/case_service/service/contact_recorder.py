"""Recording what the channels and the router report: every contact on its
customer's timeline, in the case it joins; calls folded into one entry each;
replies settled; missed calls turned into callback work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from case_service.domain.calls import CALLBACK_DISPOSITIONS, call_fact, merge
from case_service.domain.identity import (
    IdentityRules,
    claimed_keys,
    keys_in_priority,
    verified_keys,
)
from case_service.domain.lifecycle import CasePolicy, Contact, ContactOutcome, assignee_after
from case_service.domain.merging import (
    MergeAction,
    Resolution,
    automatic_merge_id,
    decide,
    explain,
    proposal_id,
)
from case_service.domain.model import Case
from case_service.domain.placement import Placement, joins_open_case, place_contact
from case_service.domain.replies import reply_target
from case_service.domain.timeline import (
    call_entry,
    call_entry_id,
    callback_entry,
    contact_outcome_entry,
    interaction_entry,
    routing_entry,
)
from case_service.ports import (
    Announcements,
    CaseStore,
    CustomerMerges,
    CustomerStore,
    Entry,
    TimelineStore,
)
from case_service.service.claim_links import ClaimLinks
from cc_common.errors import PermanentError
from cc_common.events import (
    CALLBACK_REQUESTED,
    INTERACTION_RECEIVED,
    CallbackRequested,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    OutboundFailed,
    Publish,
    RoutingChange,
    derived_event_id,
    utc_now,
)
from cc_common.events.owed import Owed, owing
from cc_common.outbox import publish_owed
from cc_common.topics import INTERACTIONS
from cc_common.tracing import current_trace_id


def delivery_error(provider_ids: dict[str, str]) -> dict[str, str] | None:
    """The provider's error code and reason a failed-delivery status carries, if any."""
    error = {
        key: provider_ids[f"error_{key}"][:500]
        for key in ("code", "reason")
        if provider_ids.get(f"error_{key}")
    }
    return error or None


def _customer_identities(interaction: Interaction) -> tuple[Identity, ...]:
    customer = interaction.customer()
    return customer.identities if customer else ()


def _placed_anonymously(call: Entry) -> bool:
    """The call's entry was placed by an event naming no one (a withheld or unknown number)."""
    parties = (call.get("interaction") or {}).get("parties") or []
    identities = parties[0].get("identities") or [] if parties else []
    return bool(identities) and all(i.get("kind") == "anonymous" for i in identities)


SURVEY_TEXT_CHARS = 40
"""Enough of a message to tell a survey answer (a bare score) from anything else."""


def contact_of(event: Envelope[Interaction], customer_id: str) -> Contact:
    interaction = event.data
    return Contact(
        tenant_id=event.tenant_id,
        customer_id=customer_id,
        conversation_key=interaction.conversation_key,
        channel=interaction.channel.value,
        subject=interaction.content.subject if interaction.content else None,
        at=event.occurred_at,
        event_id=str(event.id),
        from_customer=interaction.direction is Direction.INBOUND
        and interaction.kind in (InteractionKind.MESSAGE, InteractionKind.CALL),
        text=(interaction.content.text or "")[:SURVEY_TEXT_CHARS] if interaction.content else None,
    )


class ContactRecorder:
    def __init__(
        self,
        *,
        customers: CustomerStore,
        cases: CaseStore,
        timeline: TimelineStore,
        announcements: Announcements,
        merges: CustomerMerges | None = None,
        claim_links: ClaimLinks | None = None,
        publish: Publish | None = None,
        rules: Callable[[str], IdentityRules] = lambda tenant_id: IdentityRules(),
        policy_for: Callable[[str], CasePolicy] = lambda tenant_id: CasePolicy(),
    ) -> None:
        self._customers = customers
        self._claim_links = claim_links
        self._cases = cases
        self._timeline = timeline
        self._announcements = announcements
        self._merges = merges
        self._publish = publish
        self._rules = rules
        self._policy_for = policy_for

    async def record(self, event: Envelope[Any], trace_id: str | None = None) -> None:
        """Record one event the case consumer takes (others are not ours: ignored).
        ``trace_id``: the event's trace, when the current span is not its own."""
        if isinstance(event.data, Interaction) and event.type == INTERACTION_RECEIVED:
            await self.record_interaction(event, trace_id)
        elif isinstance(event.data, RoutingChange):
            await self.record_routing(event, trace_id)
        elif isinstance(event.data, OutboundFailed):
            await self.record_failed_reply(event)

    async def record_interaction(
        self, event: Envelope[Interaction], trace_id: str | None = None
    ) -> None:
        """Store the interaction on its customer's timeline, in the case it joins
        (idempotent: the entry's id is the event's)."""
        interaction = event.data
        status_of = interaction.provider_ids.get("status_of")
        if interaction.kind is InteractionKind.STATUS and status_of:
            # Delivered/read receipts update the message they are about; never an entry.
            await self._timeline.note_delivery(
                event.tenant_id,
                status_of,
                status=interaction.provider_ids.get("delivery", "unknown"),
                at=event.occurred_at,
                error=delivery_error(interaction.provider_ids),
            )
            return
        if await self._settled_reply(event):
            return
        customer_id, case_id, case = await self._place(event)
        trace_id = trace_id or current_trace_id()
        if interaction.kind is InteractionKind.CALL and interaction.voice is not None:
            await self._store_call(
                event, customer_id=customer_id, case_id=case_id, trace_id=trace_id
            )
        else:
            entry = interaction_entry(
                event, customer_id=customer_id, case_id=case_id, trace_id=trace_id
            )
            await self._timeline.add(entry)
            if case is None:
                # A replay: the first delivery may have died before its announcement
                # was acknowledged, so announce again (same event id; repeats dropped).
                case = await self._cases.get(event.tenant_id, case_id)
            if case is not None:
                await self._announcements.case_changed(case, entry, None)
        # Routing changes that overtook their interaction (another topic) join now.
        await self._timeline.adopt_pending(
            event.tenant_id, str(event.id), customer_id=customer_id, case_id=case_id
        )
        if (
            interaction.direction is Direction.INBOUND
            and interaction.kind is InteractionKind.MESSAGE
        ):
            target = reply_target(interaction)
            await self._cases.note_inbound(
                case_id,
                reply_to=target.model_dump(mode="json") if target else None,
                message_id=interaction.provider_message_id,
                at=event.occurred_at,
            )

    async def record_routing(
        self, event: Envelope[RoutingChange], trace_id: str | None = None
    ) -> None:
        """A routing change on the timeline of its interaction's customer (or waiting
        for it, when it overtook the interaction)."""
        owner = await self._timeline.owner_of(event.tenant_id, str(event.data.interaction_id))
        customer_id, case_id = owner if owner is not None else (None, None)
        await self._timeline.add(
            routing_entry(
                event,
                customer_id=customer_id,
                case_id=case_id,
                trace_id=trace_id or current_trace_id(),
            )
        )
        assignee = assignee_after(event.data)
        if assignee and case_id:
            await self._cases.update(
                event.tenant_id, case_id, expected_version=None, fields={"assignee_id": assignee}
            )

    async def record_failed_reply(self, event: Envelope[OutboundFailed]) -> None:
        """The channel could not send an agent's reply."""
        await self._timeline.settle_reply(
            event.tenant_id,
            str(event.data.reply_id),
            status="failed",
            details={"error": event.data.reason, "failed_at": event.occurred_at},
        )

    async def _place(self, event: Envelope[Interaction]) -> tuple[str, str, Case | None]:
        """(customer, case, the case as it is now) of an interaction: as first decided
        on a replay (then the case is None), else resolved.

        A call's later events stay on the case its first event joined; a call that
        began without a number and is later told it joins the caller's customer.
        """
        interaction = event.data
        known = await self._timeline.owner_of(event.tenant_id, str(event.id))
        if known is None and interaction.kind is InteractionKind.CALL:
            call = await self._timeline.get(
                event.tenant_id, call_entry_id(event.tenant_id, interaction.conversation_key)
            )
            known = (call["customer_id"], call["case_id"]) if call else None
            if call is not None:
                known = await self._identified_caller(event, call) or known
        if known is not None:
            return known[0], known[1], None
        customer = interaction.customer()
        identities = customer.identities if customer else ()
        rules = self._rules(event.tenant_id)
        keys = keys_in_priority(event.tenant_id, identities, rules.phone_region)
        if not keys:
            raise PermanentError("the interaction names no customer identity")
        resolution = await self._customers.resolve(
            event.tenant_id,
            keys,
            display_name=customer.display_name if customer else None,
            seen_at=event.occurred_at,
        )
        if resolution.conflicts:
            verified = verified_keys(event.tenant_id, identities, rules.phone_region)
            await self._settle(event, resolution, verified, auto=rules.auto_merge)
        if self._claim_links is not None:
            claimed = claimed_keys(event.tenant_id, identities, rules.phone_region)
            await self._claim_links.settle(event, resolution, keys, claimed)
        contact = contact_of(event, resolution.customer_id)
        placement = await self._open_or_join(contact)
        if placement.outcome is not ContactOutcome.JOIN:
            await self._timeline.add(contact_outcome_entry(contact, placement))
        return resolution.customer_id, placement.case.id, placement.case

    async def _open_or_join(self, contact: Contact) -> Placement:
        """The case a contact joins: its conversation's, reopened, or a new one.

        The consumer handles one conversation's events in order, so reading the
        conversation's case and then writing is safe.
        """
        policy = self._policy_for(contact.tenant_id)
        current = await self._cases.of_conversation(contact.tenant_id, contact.conversation_key)
        joinable = None
        if current is None and joins_open_case(contact, policy):
            joinable = await self._cases.newest_active_on_channel(
                contact.tenant_id, contact.customer_id, contact.channel
            )
        placement = place_contact(contact, current=current, joinable=joinable, policy=policy)
        if placement.previous is not None and placement.previous_change:
            await self._cases.update(
                contact.tenant_id,
                placement.previous.id,
                expected_version=None,
                fields=placement.previous_change,
            )
        if placement.created:
            await self._cases.create(placement.case)
        else:
            if placement.status_change:
                await self._cases.update(
                    contact.tenant_id,
                    placement.case.id,
                    expected_version=None,
                    fields=placement.status_change,
                )
            await self._cases.touch(placement.case.id, contact.at, returned=placement.returned)
        if placement.conversation_moves:
            await self._cases.point_conversation(
                contact.tenant_id, contact.conversation_key, placement.case.id
            )
        return placement

    async def _identified_caller(
        self, event: Envelope[Interaction], call: Entry
    ) -> tuple[str, str] | None:
        """A call placed on a one-call placeholder customer (no caller number, e.g. an
        Amazon Connect event without customerEndpoint) whose later event (its contact
        record) names the number: the placeholder is merged into the number's customer,
        audited, so the call sits on the caller's timeline."""
        phones = [i for i in _customer_identities(event.data) if i.kind is IdentityKind.PHONE]
        if not phones or self._merges is None or not _placed_anonymously(call):
            return None
        rules = self._rules(event.tenant_id)
        keys = keys_in_priority(event.tenant_id, phones, rules.phone_region)
        if not keys:
            return None
        resolution = await self._customers.resolve(
            event.tenant_id, keys, display_name=None, seen_at=event.occurred_at
        )
        caller, placeholder = resolution.customer_id, call["customer_id"]
        if caller == placeholder:
            return None
        await self._merges.merge(
            event.tenant_id,
            source=placeholder,
            target=caller,
            reason="the caller's number, reported after the call began",
            actor="system",
            at=event.occurred_at,
            merge_id=automatic_merge_id(event.tenant_id, placeholder, caller, str(event.id)),
        )
        return caller, call["case_id"]

    async def _settle(
        self,
        event: Envelope[Interaction],
        resolution: Resolution,
        verified: frozenset[str],
        *,
        auto: bool,
    ) -> None:
        """Merge (or propose merging) the other customers this contact's identities name."""
        if self._merges is None:
            return
        target, own_keys = resolution.customer_id, resolution.own_keys
        for conflict in resolution.conflicts:
            reason = explain(conflict, own_keys)
            action = decide(conflict, own_keys, verified_keys=verified, auto=auto)
            if action is MergeAction.MERGE:
                await self._merges.merge(
                    event.tenant_id,
                    source=conflict.other_customer_id,
                    target=target,
                    reason=reason,
                    actor="system",
                    at=event.occurred_at,
                    merge_id=automatic_merge_id(
                        event.tenant_id, conflict.other_customer_id, target, str(event.id)
                    ),
                )
            else:
                await self._merges.propose(
                    event.tenant_id,
                    proposal_id=proposal_id(event.tenant_id, target, conflict.other_customer_id),
                    customer_ids=[target, conflict.other_customer_id],
                    reason=reason,
                    at=event.occurred_at,
                )

    async def _settled_reply(self, event: Envelope[Interaction]) -> bool:
        """An agent's reply the channel sent settles its pending entry (no second entry)."""
        interaction = event.data
        reply_id = interaction.provider_ids.get("reply_id")
        if (
            reply_id is None
            or interaction.direction is not Direction.OUTBOUND
            or interaction.kind is InteractionKind.CALL
        ):
            return False
        return await self._timeline.settle_reply(
            event.tenant_id,
            reply_id,
            status="sent",
            details={
                "sent_at": event.occurred_at,
                "provider_message_id": interaction.provider_message_id,
                "interaction": interaction.model_dump(mode="json"),
            },
        )

    async def _store_call(
        self, event: Envelope[Interaction], *, customer_id: str, case_id: str, trace_id: str | None
    ) -> None:
        """Fold the event into its call's one entry; ask for a callback if it was missed."""
        entry_id = call_entry_id(event.tenant_id, event.data.conversation_key)
        stored = await self._timeline.get(event.tenant_id, entry_id)
        known = stored["call_events"] if stored else []
        if stored is None or str(event.id) not in stored["call_event_ids"]:
            events = merge(known, [call_fact(event)])
            entry = call_entry(
                event,
                customer_id=stored["customer_id"] if stored else customer_id,
                case_id=stored["case_id"] if stored else case_id,
                events=events,
                trace_id=stored.get("trace_id") if stored else trace_id,
            )
            entry["callback_requested"] = bool(stored and stored.get("callback_requested"))
            await self._timeline.put(entry)
            stored = entry
        await self._request_callback(event, stored)

    async def _request_callback(self, event: Envelope[Interaction], entry: Entry) -> None:
        """An abandoned or missed call from a number we can call becomes callback work."""
        summary = entry["call"]
        if (
            self._publish is None
            or entry.get("callback_requested")
            or summary["disposition"] not in CALLBACK_DISPOSITIONS
            or summary["withheld"]
            or summary["direction"] != "inbound"
        ):
            return
        phone = next(
            (i.value for i in _customer_identities(event.data) if i.kind is IdentityKind.PHONE),
            None,
        )
        if phone is None:
            return
        request = Envelope[CallbackRequested](
            id=derived_event_id(uuid.UUID(entry["_id"]), "callback"),
            type=CALLBACK_REQUESTED,
            tenant_id=event.tenant_id,
            occurred_at=summary["ended_at"] or event.occurred_at,
            source="case",
            correlation_id=event.data.conversation_key,
            causation_id=str(event.id),
            data=CallbackRequested(
                customer_id=entry["customer_id"],
                phone=phone,
                reason=summary["disposition"],
                call_conversation_key=event.data.conversation_key,
            ),
        )
        # The callback's entry owes the request (the relay publishes it if we cannot now);
        # a crash before the call is flagged stores nothing new and publishes again.
        owed = [Owed(INTERACTIONS.name, request)]
        callback = {
            **callback_entry(request, case_id=entry["case_id"]),
            **owing(owed, since=utc_now()),
        }
        await self._timeline.add(callback)
        await self._timeline.flag(entry["_id"], "callback_requested")
        if await publish_owed(self._publish, owed):
            await self._timeline.outbox_sent(callback["_id"])
