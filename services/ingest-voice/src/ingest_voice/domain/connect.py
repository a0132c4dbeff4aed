"""Amazon Connect contact events (EventBridge) and contact trace records (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cc_common.events import CallStatus
from ingest_voice.domain.calls import CallEvent

PROVIDER = "amazon-connect"
_EVENT_STATUS = {
    "INITIATED": CallStatus.STARTED,
    "QUEUED": CallStatus.QUEUED,
    "CONNECTED_TO_AGENT": CallStatus.ANSWERED,
    "DISCONNECTED": CallStatus.ENDED,
}


class ConnectDetail(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    contact_id: str = Field(alias="contactId")
    channel: str = "VOICE"
    event_type: str = Field(alias="eventType")
    initiation_method: str | None = Field(default=None, alias="initiationMethod")
    agent_info: dict[str, Any] | None = Field(default=None, alias="agentInfo")
    queue_info: dict[str, Any] | None = Field(default=None, alias="queueInfo")
    customer_endpoint: dict[str, Any] | None = Field(default=None, alias="customerEndpoint")


class ConnectEvent(BaseModel):
    """The EventBridge envelope of an Amazon Connect contact event."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str
    detail_type: str = Field(alias="detail-type")
    source: str
    time: datetime
    detail: ConnectDetail


class NotAVoiceContact(ValueError):
    """A contact event we do not turn into a call (chat, task, data updates)."""


def contact_event(event: ConnectEvent) -> CallEvent:
    """The call event an EventBridge contact event carries."""
    detail = event.detail
    if event.source != "aws.connect" or detail.channel != "VOICE":
        raise NotAVoiceContact(f"{event.source} {detail.channel}")
    status = _EVENT_STATUS.get(detail.event_type)
    if status is None:
        raise NotAVoiceContact(f"event type {detail.event_type}")
    agent_arn = (detail.agent_info or {}).get("agentArn")
    queue_arn = (detail.queue_info or {}).get("queueArn")
    return CallEvent(
        provider=PROVIDER,
        call_id=detail.contact_id,
        status=status,
        at=event.time,
        unique=event.id,
        caller=(detail.customer_endpoint or {}).get("address"),
        agent_id=agent_arn.rsplit("/", 1)[-1] if isinstance(agent_arn, str) else None,
        provider_ids={"queue_arn": queue_arn} if isinstance(queue_arn, str) else {},
    )


def trace_record_events(record: dict[str, Any]) -> list[CallEvent]:
    """The call events a contact trace record implies (each one idempotent)."""
    contact_id = record.get("ContactId")
    if not isinstance(contact_id, str) or record.get("Channel", "VOICE") != "VOICE":
        raise NotAVoiceContact("not a voice contact trace record")
    caller = (record.get("CustomerEndpoint") or {}).get("Address")
    agent = record.get("Agent") or {}
    queue = record.get("Queue") or {}
    recording = record.get("Recording") or {}

    def at(value: object) -> datetime | None:
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else None
        )

    def event(status: CallStatus, when: datetime | None, **facts: Any) -> CallEvent | None:
        if when is None:
            return None
        return CallEvent(
            provider=PROVIDER,
            call_id=contact_id,
            status=status,
            at=when,
            unique=f"ctr-{status.value}",
            caller=caller,
            **facts,
        )

    agent_id = agent.get("ARN", "").rsplit("/", 1)[-1] or None
    candidates = [
        event(CallStatus.STARTED, at(record.get("InitiationTimestamp"))),
        event(CallStatus.QUEUED, at(queue.get("EnqueueTimestamp"))),
        event(CallStatus.ANSWERED, at(agent.get("ConnectedToAgentTimestamp")), agent_id=agent_id),
        event(CallStatus.ENDED, at(record.get("DisconnectTimestamp"))),
    ]
    if recording.get("Location") and at(record.get("DisconnectTimestamp")):
        candidates.append(
            event(
                CallStatus.RECORDING_AVAILABLE,
                at(record.get("DisconnectTimestamp")),
                recording_id=recording["Location"],
                recording_url=f"s3://{recording['Location']}",
            )
        )
    return [c for c in candidates if c is not None]
