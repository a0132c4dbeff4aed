"""What an agent does to a case: read, edit, note, rate, reply, merge, split."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from case_service.domain.case_moves import check_merge, split_off
from case_service.domain.edits import plan_edit
from case_service.domain.errors import DraftHeld, NotFound, Refused
from case_service.domain.lifecycle import CasePolicy
from case_service.domain.live_events import with_announcement
from case_service.domain.model import Case
from case_service.domain.notes import note_entry
from case_service.domain.replies import (
    AWAITING_APPROVAL,
    ApprovalRule,
    ApprovedTemplate,
    check_reply_size,
    check_template,
    fingerprint,
    held_for_approval,
    reply_entry,
    reply_id_for,
    reply_request,
)
from case_service.domain.sla import clock_fields, priority_due_fields
from case_service.domain.timeline import case_entry
from case_service.ports import (
    Announcements,
    CaseHolds,
    CaseMoveStore,
    CaseStore,
    Entry,
    TimelineStore,
)
from cc_common.events import Channel, Content, MessageTemplate, utc_now
from cc_common.events.owed import EVENTS, PENDING, Owed, owed_in, owing
from cc_common.principals import Principal
from cc_common.topics import OUTBOUND

HOLD_SECONDS = {"viewing": 60, "drafting": 30}
"""How long a desk's hold on a case lasts unless renewed (desks renew every 20 s)."""


@dataclass(frozen=True, slots=True)
class CaseChangeCause:
    """What made a change (a macro), recorded as one timeline entry with it."""

    entry_id: str
    """Deterministic for a retried cause: recorded once."""
    kind: str
    summary: str
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReplyOutcome:
    case: Case
    entry: Entry
    """The reply's timeline entry (its status: pending until the channel confirms)."""


class CaseDesk:
    def __init__(
        self,
        *,
        cases: CaseStore,
        timeline: TimelineStore,
        moves: CaseMoveStore,
        announcements: Announcements,
        policy_for: Callable[[str], CasePolicy] = lambda tenant_id: CasePolicy(),
        templates_for: Callable[[str], Sequence[ApprovedTemplate]] = lambda tenant_id: (),
        holds: CaseHolds | None = None,
        approval_for: Callable[[str], ApprovalRule] = lambda tenant_id: ApprovalRule(),
        clock: Callable[[], datetime] = utc_now,
        max_event_bytes: int = 1_000_000,
    ) -> None:
        self._holds = holds
        self._approval_for = approval_for
        self.templates_for = templates_for
        self._max_event_bytes = max_event_bytes
        self._cases = cases
        self._timeline = timeline
        self._moves = moves
        self._announcements = announcements
        self._policy_for = policy_for
        self._clock = clock

    async def case(self, tenant_id: str, case_id: str) -> Case:
        """One case of the tenant (NotFound otherwise)."""
        found = await self._cases.get(tenant_id, case_id)
        if found is None:
            raise NotFound("No such case.")
        return found

    async def edit(
        self, agent: Principal, case_id: str, patch: dict[str, Any], *, expected_version: int
    ) -> Case:
        """Change what the patch names, if the case is still at ``expected_version``."""
        return await self.apply_patch(agent, case_id, patch, expected_version=expected_version)

    async def apply_patch(
        self,
        agent: Principal,
        case_id: str,
        patch: dict[str, Any],
        *,
        expected_version: int | None,
        cause: CaseChangeCause | None = None,
    ) -> Case:
        """Change what the patch names (at ``expected_version``, if given) and record it:
        as its own change, or as part of ``cause`` (a macro: one entry naming it, even
        when the patch changes nothing)."""
        current = await self.case(agent.tenant_id, case_id)
        now = self._clock()
        plan = plan_edit(current, patch, at=now)
        if not plan.changes and cause is None:
            return current
        fields = dict(plan.fields)
        policy = self._policy_for(agent.tenant_id)
        if "priority" in fields:
            fields.update(priority_due_fields(policy.sla, current, fields["priority"]))
        if "status" in plan.changes:
            fields.update(clock_fields(policy.sla, current, fields["status"], now))
        updated = (
            await self._update(agent, case_id, fields, expected_version) if fields else current
        )
        details = {"changes": plan.changes, "version": updated.version}
        if cause is None:
            await self._record(
                updated, agent, kind=plan.kind, at=now, summary=plan.summary, details=details
            )
            return updated
        summary = "; ".join(part for part in (cause.summary, plan.summary) if part)
        entry = case_entry(
            updated,
            entry_id=cause.entry_id,
            kind=cause.kind,
            at=now,
            summary=summary,
            details={**details, **cause.details},
            actor=agent.subject,
        )
        await self._store_announced(updated, entry, agent.subject)
        return updated

    async def rate(self, caller: Principal, case_id: str, rating: dict[str, Any]) -> Case:
        """The customer's satisfaction rating; the last one counts."""
        await self.case(caller.tenant_id, case_id)
        now = self._clock()
        csat = {**rating, "rated_at": now, "recorded_by": caller.subject}
        updated = await self._update(caller, case_id, {"csat": csat}, None)
        await self._record(
            updated,
            caller,
            kind="case.csat",
            at=now,
            summary=f"CSAT {rating['score']}/5",
            details={"csat": csat},
        )
        return updated

    async def note_survey(self, caller: Principal, case_id: str, survey: dict[str, Any]) -> Case:
        """The case's satisfaction survey (sent, then answered)."""
        return await self._update(caller, case_id, {"survey": survey}, None)

    async def note_article_used(
        self, agent: Principal, case_id: str, article: dict[str, Any]
    ) -> Case:
        """The agent answered with a knowledge article (each article counted once)."""
        case = await self.case(agent.tenant_id, case_id)
        if any(used["article_id"] == article["article_id"] for used in case.knowledge_used):
            return case
        now = self._clock()
        used = {**article, "agent_id": agent.subject, "at": now}
        updated = await self._update(
            agent, case_id, {"knowledge_used": [*case.knowledge_used, used]}, None
        )
        await self._record(
            updated,
            agent,
            kind="case.knowledge_used",
            at=now,
            summary=f"answered with the article: {article['title']}",
            details={"article": used},
        )
        return updated

    async def mark_presence(self, agent: Principal, case_id: str, state: str) -> None:
        """The agent has the case open, is drafting a reply on it, or left it; told to
        colleagues' desks. A hold lapses unless renewed (``HOLD_SECONDS``)."""
        case = await self.case(agent.tenant_id, case_id)
        if self._holds is None:
            return
        now = self._clock()
        if state == "left":
            await self._holds.release(agent.tenant_id, case_id, agent.subject)
        else:
            until = now + timedelta(seconds=HOLD_SECONDS[state])
            await self._holds.hold(
                agent.tenant_id, case_id, agent.subject, state, at=now, until=until
            )
        await self._announcements.presence(case, agent=agent.subject, state=state)

    async def presence(self, tenant_id: str, case_id: str) -> list[dict[str, Any]]:
        """Who has the case open or is drafting on it now."""
        await self.case(tenant_id, case_id)
        if self._holds is None:
            return []
        return await self._holds.current(tenant_id, case_id, self._clock())

    async def _check_drafts(self, agent: Principal, case: Case, *, takeover: bool) -> None:
        """A colleague drafting on the case stops this reply, unless the agent takes
        over: then the colleague's desk is told their draft was overtaken."""
        if self._holds is None:
            return
        holds = await self._holds.current(case.tenant_id, case.id, self._clock())
        drafting = sorted(
            h["agent_id"]
            for h in holds
            if h["state"] == "drafting" and h["agent_id"] != agent.subject
        )
        if not drafting:
            return
        if not takeover:
            raise DraftHeld(
                f"{', '.join(drafting)} is drafting a reply on this case: send again with"
                " takeover to send yours anyway",
                holders=drafting,
            )
        for holder in drafting:
            await self._holds.release(case.tenant_id, case.id, holder)
            await self._announcements.presence(
                case, agent=holder, state="left", taken_over_by=agent.subject
            )

    async def add_note(self, agent: Principal, case_id: str, text: str) -> Entry:
        """An internal note (never sent to the customer)."""
        case = await self.case(agent.tenant_id, case_id)
        entry = note_entry(
            case, note_id=uuid.uuid4(), author=agent.subject, text=text, at=self._clock()
        )
        return await self._store_announced(case, entry, agent.subject)

    async def typing(self, agent: Principal, case_id: str, *, active: bool) -> None:
        """Shown live to a web-chat visitor; never stored."""
        case = await self.case(agent.tenant_id, case_id)
        await self._announcements.typing(case, agent=agent.subject, active=active)

    async def reply(
        self,
        agent: Principal,
        case_id: str,
        content: Content,
        *,
        channel: Channel | None = None,
        template: MessageTemplate | None = None,
        idempotency_key: str | None = None,
        takeover: bool = False,
        counts_as_response: bool = True,
    ) -> ReplyOutcome:
        """Answer the customer, exactly once per idempotency key; pending until the
        channel confirms. On another ``channel``, the customer's latest conversation
        there carries it; the entry stays on this case."""
        check_template(template, self.templates_for(agent.tenant_id))
        case = await self.case(agent.tenant_id, case_id)
        await self._check_drafts(agent, case, takeover=takeover)
        route = case
        if channel is not None and channel.value != case.channel:
            elsewhere = await self._cases.latest_reachable(
                agent.tenant_id, case.customer_id, channel.value
            )
            if elsewhere is None:
                raise Refused(f"The customer has not written to us on {channel.value}.")
            route = elsewhere.model_copy(update={"id": case.id})
        reply_id = reply_id_for(agent.tenant_id, agent.subject, idempotency_key)
        event = reply_request(
            route,
            tenant_id=agent.tenant_id,
            agent_id=agent.subject,
            reply_id=reply_id,
            content=content,
            at=self._clock(),
            template=template,
        )
        check_reply_size(event, self._max_event_bytes)
        content_hash = fingerprint(content)
        entry = reply_entry(event, customer_id=case.customer_id, content_hash=content_hash)
        request = Owed(OUTBOUND.name, event)
        if self._approval_for(agent.tenant_id).needs(agent.subject, case.queue):
            held = owing([request], since=event.occurred_at)[EVENTS][0]
            document = with_announcement(held_for_approval(entry, held), case, actor=agent.subject)
        else:
            document = with_announcement(entry, case, actor=agent.subject, first=[request])
        stored = await self._timeline.create_reply(document)
        if stored["reply"]["content_hash"] != content_hash:
            raise Refused("This Idempotency-Key was used for a different reply.")
        if stored.get(PENDING):  # stored now, or by a try whose publish failed
            if counts_as_response and stored["reply"]["status"] != AWAITING_APPROVAL:
                await self._cases.note_agent_reply(case, stored["occurred_at"])
            await self._publish_owed(stored)
        return ReplyOutcome(case, stored)

    async def awaiting_approval(self, tenant_id: str) -> list[Entry]:
        """Replies a supervisor must approve before they go, oldest first."""
        return await self._timeline.replies_awaiting_approval(tenant_id)

    async def decide_reply(
        self, supervisor: Principal, reply_id: str, *, approve: bool, reason: str | None = None
    ) -> Entry:
        """Approve a held reply (its channel request goes out now) or reject it (it
        fails with the reason); the decision is kept on the reply and its case."""
        now = self._clock()
        decision = {
            "state": "approved" if approve else "rejected",
            "by": supervisor.subject,
            "at": now,
            "reason": reason,
        }
        decided = await self._timeline.decide_reply(
            supervisor.tenant_id, reply_id, decision=decision, at=now
        )
        if decided is None:
            raise NotFound("No reply of this tenant awaits approval under that id.")
        case = await self.case(supervisor.tenant_id, decided["case_id"])
        if approve:
            await self._cases.note_agent_reply(case, now)
            await self._publish_owed(decided)
        verdict = "approved" if approve else f"rejected: {reason or 'no reason given'}"
        await self._record(
            case,
            supervisor,
            kind="reply.approved" if approve else "reply.rejected",
            at=now,
            summary=f"reply by {decided['reply']['agent_id']} {verdict}",
            details={"reply_id": reply_id, "approval": decision},
        )
        return decided

    async def _store_announced(self, case: Case, entry: Entry, actor: str) -> Entry:
        """Store the entry with its announcement in the same document, then publish it."""
        announced = with_announcement(entry, case, actor=actor)
        await self._timeline.add(announced)
        await self._publish_owed(announced)
        return entry

    async def _publish_owed(self, entry: Entry) -> None:
        if await self._announcements.owed(owed_in(entry)):
            await self._timeline.outbox_sent(entry["_id"])

    async def merge(self, agent: Principal, *, source_id: str, target_id: str, reason: str) -> Case:
        """Move every entry of ``source`` to ``target`` and close ``source``."""
        source = await self.case(agent.tenant_id, source_id)
        target = await self.case(agent.tenant_id, target_id)
        check_merge(source, target)
        at = self._clock()
        await self._moves.move_entries(agent.tenant_id, source_id, target_id)
        await self._moves.close_merged(agent.tenant_id, source_id, target_id, at)
        details = {"source_case_id": source_id, "target_case_id": target_id, "reason": reason}
        await self._record_move(
            [
                (target, "case.merged", f"case {source_id} merged into this one: {reason}"),
                (source, "case.merged_away", f"merged into case {target_id}: {reason}"),
            ],
            agent,
            at=at,
            details=details,
        )
        await self._moves.bump(target_id, at)
        return await self.case(agent.tenant_id, target_id)

    async def split(
        self, agent: Principal, case_id: str, *, entry_ids: list[str], subject: str | None
    ) -> Case:
        """Move some entries into a new case (a second matter raised in one conversation)."""
        case = await self.case(agent.tenant_id, case_id)
        asked = sorted(set(entry_ids))
        entries = await self._moves.moving_entries(agent.tenant_id, case_id, asked)
        at = self._clock()
        created = split_off(
            case, entries, asked=len(asked), new_id=str(uuid.uuid4()), subject=subject, at=at
        )
        await self._moves.insert(created)
        await self._moves.move_entries(agent.tenant_id, case_id, created.id, asked)
        details = {"source_case_id": case_id, "new_case_id": created.id, "entries": len(asked)}
        await self._record_move(
            [
                (case, "case.split", f"{len(asked)} entries moved to new case {created.id}"),
                (created, "case.split_from", f"split from case {case_id}"),
            ],
            agent,
            at=at,
            details=details,
        )
        await self._moves.bump(case_id)
        return created

    async def _update(
        self,
        caller: Principal,
        case_id: str,
        fields: dict[str, Any],
        expected_version: int | None,
    ) -> Case:
        updated = await self._cases.update(
            caller.tenant_id, case_id, expected_version=expected_version, fields=fields
        )
        if updated is None:
            raise NotFound("No such case.")
        return updated

    async def _record(
        self,
        case: Case,
        actor: Principal,
        *,
        kind: str,
        at: datetime,
        summary: str,
        details: dict[str, Any],
    ) -> None:
        """The change's timeline entry, then its announcement."""
        entry = case_entry(
            case,
            entry_id=str(uuid.uuid4()),
            kind=kind,
            at=at,
            summary=summary,
            details=details,
            actor=actor.subject,
        )
        await self._store_announced(case, entry, actor.subject)

    async def _record_move(
        self,
        changes: list[tuple[Case, str, str]],
        actor: Principal,
        *,
        at: datetime,
        details: dict[str, Any],
    ) -> None:
        """One entry per side of a move (not announced: the cases' views re-read)."""
        for case, kind, summary in changes:
            await self._timeline.add(
                case_entry(
                    case,
                    entry_id=str(uuid.uuid4()),
                    kind=kind,
                    at=at,
                    summary=summary,
                    details=details,
                    actor=actor.subject,
                )
            )
