"""One builder for call events, whichever provider reported them (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers

from cc_common.events import (
    INTERACTION_RECEIVED,
    CallStatus,
    Channel,
    Direction,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    VoiceFacts,
    plausible_time,
    provider_event_id,
)

SOURCE = "ingest-voice"
#: What carriers and providers send for a withheld caller id.
WITHHELD = frozenset(
    {
        "",
        "anonymous",
        "restricted",
        "unavailable",
        "unknown",
        "private",
        "+266696687",
        "+7378742833",
        "+2562533",
        "+8656696",
    }
)
ENDS_WAITING = frozenset(
    {
        CallStatus.ENDED,
        CallStatus.CANCELED,
        CallStatus.NO_ANSWER,
        CallStatus.BUSY,
        CallStatus.FAILED,
        CallStatus.VOICEMAIL,
    }
)


class InvalidCallerNumber(ValueError):
    """A caller number that no numbering plan accepts."""


def to_e164(number: str, *, default_region: str) -> str:
    """Normalise a dialled number to E.164."""
    try:
        parsed = phonenumbers.parse(number, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidCallerNumber(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidCallerNumber("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_withheld(number: str | None) -> bool:
    """True for a caller who withheld their number."""
    return number is None or number.strip().lower() in WITHHELD


@dataclass(frozen=True, slots=True)
class CallEvent:
    """A provider's call event, normalised; ``unique`` tells repeats of it apart."""

    provider: str
    call_id: str
    status: CallStatus
    at: datetime
    unique: str = ""
    caller: str | None = None
    direction: Direction = Direction.INBOUND
    ivr_path: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    priority: int = 0
    duration_seconds: int | None = None
    agent_id: str | None = None
    transfer_target: str | None = None
    recording_id: str | None = None
    recording_url: str | None = None
    recording_duration_seconds: int | None = None
    transcript: str | None = None
    provider_ids: dict[str, str] = field(default_factory=dict)
    provider_time: datetime | None = None
    """The provider's stated time of the event; ``at`` is when we received it."""
    after_the_fact: bool = False
    """Reported once the call is over (a contact trace record): never opens or ends work."""

    @property
    def conversation_key(self) -> str:
        return f"call:{self.provider}:{self.call_id}"


def call_interaction(
    tenant_id: str, event: CallEvent, *, default_region: str
) -> Envelope[Interaction]:
    """The interaction event of one call event; a provider's retry is the same event."""
    withheld = is_withheld(event.caller)
    if withheld:
        identity = Identity(kind=IdentityKind.ANONYMOUS, value=f"{event.provider}:{event.call_id}")
    else:
        assert event.caller is not None
        phone = to_e164(event.caller, default_region=default_region)
        identity = Identity(kind=IdentityKind.PHONE, value=phone, verified=True)
    message_id = f"{event.call_id}:{event.status.value}:{event.unique}"
    interaction = Interaction(
        channel=Channel.VOICE,
        direction=event.direction,
        kind=InteractionKind.CALL,
        provider=event.provider,
        provider_message_id=message_id,
        provider_ids={"call_id": event.call_id, **event.provider_ids},
        conversation_key=event.conversation_key,
        parties=(Party(role=PartyRole.CUSTOMER, identities=(identity,)),),
        voice=VoiceFacts(
            call_id=event.call_id,
            status=event.status.value,
            duration_seconds=event.duration_seconds,
            ivr_path=event.ivr_path,
            agent_id=event.agent_id,
            transfer_target=event.transfer_target,
            recording_id=event.recording_id,
            recording_url=event.recording_url,
            recording_duration_seconds=event.recording_duration_seconds,
            transcript=event.transcript,
            caller_withheld=withheld,
        ),
        provider_time=event.provider_time,
        routing_hints=RoutingHints(
            # Work for an agent exists once the caller waits in a queue.
            needs_human=event.status is CallStatus.QUEUED and not event.after_the_fact,
            cancels_work=event.status in ENDS_WAITING and not event.after_the_fact,
            answered_by=(event.agent_id or event.provider)
            if event.status is CallStatus.ANSWERED and not event.after_the_fact
            else None,
            skills=event.skills,
            priority=event.priority,
        ),
    )
    return Envelope[Interaction](
        id=provider_event_id(tenant_id, event.provider, message_id),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant_id,
        occurred_at=plausible_time(event.provider_time, event.at)
        if event.provider_time
        else event.at,
        source=SOURCE,
        correlation_id=event.conversation_key,
        data=interaction,
    )
