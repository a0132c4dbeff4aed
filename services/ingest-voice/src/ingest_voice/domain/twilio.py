"""Twilio Programmable Voice: webhook forms to call events, and the TwiML we answer (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from xml.sax.saxutils import escape, quoteattr

from pydantic import BaseModel, Field

from cc_common.events import CallStatus, Direction
from ingest_voice.domain.calls import CallEvent

PROVIDER = "twilio"

_MACHINE = ("machine", "fax")
_CALL_STATUS = {
    "queued": CallStatus.STARTED,
    "initiated": CallStatus.STARTED,
    "ringing": CallStatus.RINGING,
    "completed": CallStatus.ENDED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
}


class MenuOption(BaseModel):
    label: str
    skills: tuple[str, ...] = ()
    priority: int = Field(default=0, ge=0, le=100)
    queue: str = "voice"


class IvrMenu(BaseModel):
    """A tenant's greeting and the choices that pick skills and priority."""

    greeting: str = "Thank you for calling."
    prompt: str = "For billing press 1. For technical support press 2."
    language: str = "en-US"
    options: dict[str, MenuOption] = Field(
        default_factory=lambda: {
            "1": MenuOption(label="billing", skills=("billing",)),
            "2": MenuOption(label="technical support", skills=("tech",), priority=5),
        }
    )
    default_choice: str = "1"

    def choose(self, digits: str | None, speech: str | None) -> tuple[str, MenuOption]:
        """The option for pressed digits or spoken words; the default when unclear."""
        if digits and digits[:1] in self.options:
            return digits[:1], self.options[digits[:1]]
        spoken = (speech or "").lower()
        for key, option in self.options.items():
            if spoken and (option.label.lower() in spoken or key in spoken.split()):
                return key, option
        return self.default_choice, self.options[self.default_choice]


class InvalidWebhook(ValueError):
    """A form lacking what Twilio always sends."""


@dataclass(frozen=True, slots=True)
class Form:
    fields: Mapping[str, str]

    def need(self, name: str) -> str:
        value = self.fields.get(name)
        if not value:
            raise InvalidWebhook(f"missing {name}")
        return value

    def number(self, name: str) -> int | None:
        value = self.fields.get(name)
        return int(value) if value and value.isascii() and value.isdigit() else None

    @property
    def stated_time(self) -> datetime | None:
        """Twilio's ``Timestamp`` (RFC 2822) on status callbacks, when present."""
        try:
            stated = parsedate_to_datetime(self.fields.get("Timestamp") or "")
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        return stated.replace(tzinfo=UTC) if stated.tzinfo is None else stated

    @property
    def direction(self) -> Direction:
        return (
            Direction.OUTBOUND
            if self.fields.get("Direction", "").startswith("outbound")
            else Direction.INBOUND
        )

    def event(
        self,
        status: CallStatus,
        at: datetime,
        *,
        provider_ids: Mapping[str, str] | None = None,
        **facts: object,
    ) -> CallEvent:
        known = {"account_sid": self.fields.get("AccountSid", "")}
        if self.fields.get("AnsweredBy"):
            known["answered_by"] = self.fields["AnsweredBy"]
        return CallEvent(
            provider=PROVIDER,
            call_id=self.need("CallSid"),
            status=status,
            at=at,
            caller=self.fields.get("From")
            if self.direction is Direction.INBOUND
            else self.fields.get("To"),
            direction=self.direction,
            provider_ids={**known, **(provider_ids or {})},
            provider_time=self.stated_time,
            **facts,  # type: ignore[arg-type]
        )


def incoming_call(form: Form, at: datetime) -> CallEvent:
    """The incoming-call webhook: the call reached us."""
    return form.event(CallStatus.STARTED, at)


def ivr_choice(form: Form, menu: IvrMenu, at: datetime) -> tuple[CallEvent, CallEvent, MenuOption]:
    """The Gather action: the caller's choice, and the call entering the chosen queue."""
    key, option = menu.choose(form.fields.get("Digits"), form.fields.get("SpeechResult"))
    chose = form.event(CallStatus.IVR_INPUT, at, ivr_path=(key,), unique=key)
    queued = form.event(
        CallStatus.QUEUED, at, ivr_path=(key,), skills=option.skills, priority=option.priority
    )
    return chose, queued, option


def status_callback(form: Form, at: datetime) -> list[CallEvent]:
    """A call status callback, folded with Twilio's own outcome fields.

    Twilio sends only ``completed`` unless more events are subscribed, so the
    outcome is read from every callback alike: ``in-progress``, a positive
    ``CallDuration`` or ``AnsweredBy`` mean the line was picked up (never a missed
    call); an outbound call picked up by a person is answered.
    """
    raw = form.need("CallStatus")
    if raw not in _CALL_STATUS and raw != "in-progress":
        raise InvalidWebhook(f"unknown CallStatus {raw!r}")
    duration = form.number("CallDuration")
    sequence = form.fields.get("SequenceNumber", "")
    events: list[CallEvent] = []
    picked_up = raw == "in-progress" or (raw == "completed" and bool(duration))
    if picked_up:
        events.append(form.event(_pick_up(form), at, unique=f"pickup-{raw}"))
    if raw in _CALL_STATUS:
        events.append(form.event(_CALL_STATUS[raw], at, duration_seconds=duration, unique=sequence))
    return events


def _pick_up(form: Form) -> CallStatus:
    """Who picked up: for a call we placed, a person unless Twilio heard a machine."""
    answered_by = form.fields.get("AnsweredBy", "")
    if form.direction is Direction.OUTBOUND and not answered_by.startswith(_MACHINE):
        return CallStatus.ANSWERED
    return CallStatus.CONNECTED


def dial_result(form: Form, agent: str | None, at: datetime) -> CallEvent | None:
    """The ``<Dial action>`` request: the dialled leg's outcome is the attempt's outcome."""
    status = form.fields.get("DialCallStatus", "")
    leg = form.fields.get("DialCallSid", "") or status
    if status in ("completed", "answered"):
        return form.event(
            CallStatus.ANSWERED,
            at,
            unique=f"dial-{leg}",
            agent_id=agent,
            duration_seconds=form.number("DialCallDuration"),
        )
    if status in ("busy", "no-answer", "failed", "canceled"):
        return form.event(
            CallStatus.DIAL_UNANSWERED,
            at,
            unique=f"dial-{leg}",
            agent_id=agent,
            provider_ids={"dial_status": status},
        )
    if status:
        raise InvalidWebhook(f"unknown DialCallStatus {status!r}")
    return None


def queue_result(form: Form, at: datetime) -> CallEvent | None:
    """The Enqueue action: bridged to an agent, or the caller left the queue."""
    result = form.fields.get("QueueResult", "")
    if result == "bridged":
        return form.event(CallStatus.ANSWERED, at, duration_seconds=None)
    if result in ("hangup", "leave"):
        return form.event(CallStatus.ENDED, at, unique=f"queue-{result}")
    return None


def recording_callback(form: Form, at: datetime) -> CallEvent | None:
    """A recording status callback; only completed recordings are attached."""
    if form.fields.get("RecordingStatus", "completed") != "completed":
        return None
    recording_id = form.need("RecordingSid")
    return form.event(
        CallStatus.RECORDING_AVAILABLE,
        at,
        unique=recording_id,
        recording_id=recording_id,
        recording_url=form.need("RecordingUrl"),
        recording_duration_seconds=form.number("RecordingDuration"),
    )


def transcription_callback(form: Form, at: datetime) -> CallEvent | None:
    """A transcription callback; only completed transcriptions are attached."""
    if form.fields.get("TranscriptionStatus", "completed") != "completed":
        return None
    return form.event(
        CallStatus.TRANSCRIPT_AVAILABLE,
        at,
        unique=form.need("TranscriptionSid"),
        recording_id=form.fields.get("RecordingSid"),
        transcript=form.fields.get("TranscriptionText", ""),
    )


def twiml_welcome(menu: IvrMenu, ivr_url: str) -> str:
    """Greet, gather one choice (keys or speech), fall back to the default choice."""
    lang = quoteattr(menu.language)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Say language={lang}>{escape(menu.greeting)}</Say>"
        f'<Gather input="dtmf speech" numDigits="1" timeout="5" action={quoteattr(ivr_url)}'
        f' method="POST" language={lang}><Say language={lang}>{escape(menu.prompt)}</Say>'
        f'</Gather><Redirect method="POST">{escape(ivr_url)}</Redirect></Response>'
    )


def twiml_enqueue(queue: str, action_url: str) -> str:
    """Put the caller in the queue until an agent dequeues them."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Enqueue action={quoteattr(action_url)} method="POST">{escape(queue)}</Enqueue>'
        "</Response>"
    )


def twiml_dial_agent(agent_id: str, action_url: str) -> str:
    """Connect the answered callback to the agent's Twilio Client; the outcome comes back."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Dial action={quoteattr(action_url)} method="POST">'
        f"<Client>{escape(agent_id)}</Client></Dial></Response>"
    )


EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
