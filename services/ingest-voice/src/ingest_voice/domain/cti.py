"""The generic CTI event JSON we document, for PBX adapters (Asterisk, FreeSWITCH)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from cc_common.events import CallStatus
from ingest_voice.domain.calls import CallEvent


class CtiEventKind(StrEnum):
    CALL_STARTED = "call_started"
    IVR_INPUT = "ivr_input"
    QUEUED = "queued"
    ANSWERED = "answered"
    HELD = "held"
    RESUMED = "resumed"
    TRANSFERRED = "transferred"
    ENDED = "ended"
    RECORDING_AVAILABLE = "recording_available"
    TRANSCRIPT_AVAILABLE = "transcript_available"
    VOICEMAIL = "voicemail"


_STATUS = {
    CtiEventKind.CALL_STARTED: CallStatus.STARTED,
    CtiEventKind.IVR_INPUT: CallStatus.IVR_INPUT,
    CtiEventKind.QUEUED: CallStatus.QUEUED,
    CtiEventKind.ANSWERED: CallStatus.ANSWERED,
    CtiEventKind.HELD: CallStatus.HELD,
    CtiEventKind.RESUMED: CallStatus.RESUMED,
    CtiEventKind.TRANSFERRED: CallStatus.TRANSFERRED,
    CtiEventKind.ENDED: CallStatus.ENDED,
    CtiEventKind.RECORDING_AVAILABLE: CallStatus.RECORDING_AVAILABLE,
    CtiEventKind.TRANSCRIPT_AVAILABLE: CallStatus.TRANSCRIPT_AVAILABLE,
    CtiEventKind.VOICEMAIL: CallStatus.VOICEMAIL,
}


class CtiEvent(BaseModel):
    """One event from a PBX adapter; ``event_id`` tells repeats of the same kind apart."""

    model_config = ConfigDict(extra="forbid")

    call_id: str = Field(min_length=1, max_length=128)
    event: CtiEventKind
    occurred_at: AwareDatetime
    event_id: str = Field(default="", max_length=128, description="e.g. the PBX's sequence")
    from_number: str | None = Field(default=None, max_length=32)
    to_number: str | None = Field(default=None, max_length=32)
    ivr_digits: str | None = Field(default=None, max_length=16)
    queue: str | None = Field(default=None, max_length=63)
    skills: tuple[str, ...] = Field(default=(), max_length=10)
    priority: int = Field(default=0, ge=0, le=100)
    duration_seconds: int | None = Field(default=None, ge=0)
    agent_id: str | None = Field(default=None, max_length=128)
    transfer_target: str | None = Field(default=None, max_length=128)
    recording_id: str | None = Field(default=None, max_length=128)
    recording_url: str | None = Field(default=None, max_length=2048)
    recording_duration_seconds: int | None = Field(default=None, ge=0)
    transcript: str | None = Field(default=None, max_length=100_000)

    def to_call_event(self) -> CallEvent:
        """The normalised call event."""
        occurred: datetime = self.occurred_at
        return CallEvent(
            provider="cti",
            call_id=self.call_id,
            status=_STATUS[self.event],
            at=occurred,
            unique=self.event_id or self.recording_id or self.agent_id or "",
            caller=self.from_number,
            ivr_path=(self.ivr_digits,) if self.ivr_digits else (),
            skills=self.skills,
            priority=self.priority,
            duration_seconds=self.duration_seconds,
            agent_id=self.agent_id,
            transfer_target=self.transfer_target,
            recording_id=self.recording_id,
            recording_url=self.recording_url,
            recording_duration_seconds=self.recording_duration_seconds,
            transcript=self.transcript,
        )
