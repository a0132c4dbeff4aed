"""Live updates: what changed on a case, as an event, and who gets to see it (pure).

Agents follow their own work: offers and tasks the router gives them, and changes
on the cases assigned to them. Supervisors and admins follow the whole tenant.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from case_service.domain.model import Case
from cc_common.events import (
    CASE_CHANGED,
    CaseChanged,
    CasePresence,
    CaseSlaBreached,
    ConversationTyping,
    Envelope,
    RoutingChange,
    utc_now,
)
from cc_common.events.envelope import EVENT_ID_NAMESPACE
from cc_common.events.owed import Owed, owing
from cc_common.principals import Principal, Role
from cc_common.topics import CASES

WATCH_ALL = frozenset({Role.SUPERVISOR, Role.ADMIN})


def case_changed(
    case: Case, entry: Mapping[str, Any], *, actor: str | None
) -> Envelope[CaseChanged]:
    """The event announcing a new timeline entry on a case (its id follows the entry's)."""
    return Envelope[CaseChanged](
        id=uuid.uuid5(EVENT_ID_NAMESPACE, f"case-changed|{entry['_id']}"),
        type=CASE_CHANGED,
        tenant_id=case.tenant_id,
        occurred_at=utc_now(),
        source="case",
        correlation_id=case.conversation_key,
        data=CaseChanged(
            case_id=case.id,
            customer_id=case.customer_id,
            entry_id=entry["_id"],
            change=entry["kind"],
            summary=(entry.get("summary") or "")[:300] or None,
            channel=case.channel,
            status=case.status.value,
            assignee_id=case.assignee_id,
            queue=case.queue,
            actor=actor,
        ),
    )


def with_announcement(
    entry: Mapping[str, Any], case: Case, *, actor: str | None, first: Sequence[Owed] = ()
) -> dict[str, Any]:
    """The entry owing its own ``case.changed``, after the events in ``first`` (a reply's
    request for its channel): a transactional outbox in the same document, so the change
    and its announcement are stored together. Published at once, and by the outbox relay
    if the process or the broker failed in between."""
    event = case_changed(case, entry, actor=actor)
    return {
        **entry,
        **owing([*first, Owed(CASES.name, event)], since=entry["recorded_at"]),
    }


def audience(principal: Principal, event: Envelope[Any], *, holder: str | None = None) -> bool:
    """True when the event is for this subscriber. ``holder``: for a customer's typing,
    the agent assigned to the conversation's case (who sees it besides supervisors)."""
    if event.tenant_id != principal.tenant_id:
        return False
    if isinstance(event.data, CasePresence):
        return True  # colleagues see who has which case open (only desks show it)
    if isinstance(event.data, ConversationTyping):
        customer = event.data.party == "customer"
        return customer and (principal.has_any(WATCH_ALL) or holder == principal.subject)
    if principal.has_any(WATCH_ALL):
        return True
    data = event.data
    if isinstance(data, RoutingChange | CaseChanged | CaseSlaBreached):
        agent = data.agent_id if isinstance(data, RoutingChange) else data.assignee_id
        return agent == principal.subject
    return False


def event_name(event: Envelope[Any]) -> str:
    """The SSE event name: the event type, with task states as ``task``."""
    return "task" if isinstance(event.data, RoutingChange) else event.type


def needs_holder(event: Envelope[Any]) -> str | None:
    """The conversation whose holder decides who sees ``event``, if any."""
    data = event.data
    if isinstance(data, ConversationTyping) and data.party == "customer":
        return data.conversation_key
    return None
