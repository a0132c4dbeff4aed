"""The generic CTI event JSON we document, and how it becomes an interaction (pure).

The walking skeleton maps each CTI event to an interaction of kind ``call``; the
voice issue adds the call state machine that folds them into one call record.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field

from cc_common.events import (
    INTERACTION_RECEIVED,
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
    provider_event_id,
)

PROVIDER = "cti"
SOURCE = "ingest-voice"


class CtiEventKind(StrEnum):
    CALL_STARTED = "call_started"
    IVR_INPUT = "ivr_input"
    QUEUED = "queued"
    ANSWERED = "answered"
    HELD = "held"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    RECORDING_AVAILABLE = "recording_available"
    TRANSCRIPT_AVAILABLE = "transcript_available"
    VOICEMAIL = "voicemail"


class CtiEvent(BaseModel):
    """One event from a PBX adapter (Asterisk, FreeSWITCH, ...)."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=128)
    event: CtiEventKind
    occurred_at: datetime
    from_number: str | None = Field(default=None, max_length=32)
    to_number: str | None = Field(default=None, max_length=32)
    ivr_digits: str | None = Field(default=None, max_length=16)
    duration_seconds: int | None = Field(default=None, ge=0)
    agent_id: str | None = Field(default=None, max_length=128)


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


def call_event(tenant_id: str, cti: CtiEvent, *, default_region: str) -> Envelope[Interaction]:
    """The interaction event of one CTI event; a resend is the same event."""
    identities: tuple[Identity, ...] = ()
    if cti.from_number:
        phone = to_e164(cti.from_number, default_region=default_region)
        identities = (Identity(kind=IdentityKind.PHONE, value=phone, verified=True),)
    interaction = Interaction(
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        kind=InteractionKind.CALL,
        provider=PROVIDER,
        provider_message_id=f"{cti.call_id}:{cti.event.value}",
        conversation_key=f"call:{cti.call_id}",
        parties=(Party(role=PartyRole.CUSTOMER, identities=identities),),
        voice=VoiceFacts(
            call_id=cti.call_id,
            status=cti.event.value,
            duration_seconds=cti.duration_seconds,
            ivr_path=(cti.ivr_digits,) if cti.ivr_digits else (),
        ),
        routing_hints=RoutingHints(
            needs_human=cti.event is CtiEventKind.CALL_STARTED,
            # A hang-up before an agent answered abandons the call's waiting task.
            cancels_work=cti.event in (CtiEventKind.ENDED, CtiEventKind.VOICEMAIL),
        ),
    )
    return Envelope[Interaction](
        id=provider_event_id(tenant_id, PROVIDER, f"{cti.call_id}:{cti.event.value}"),
        type=INTERACTION_RECEIVED,
        tenant_id=tenant_id,
        occurred_at=cti.occurred_at,
        source=SOURCE,
        correlation_id=interaction.conversation_key,
        data=interaction,
    )
