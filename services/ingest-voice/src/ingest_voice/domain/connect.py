"""Amazon Connect contact events (EventBridge) and contact trace records (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cc_common.events import CallStatus
from ingest_voice.domain.calls import CallEvent

PROVIDER = "amazon-connect"
_EVENT_STATUS = {
    "INITIATED": CallStatus.STARTED,
    "CONNECTED_TO_SYSTEM": CallStatus.CONNECTED,
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
    """A contact event we do not turn into a call (chat, task, data updates, event types
    added after this was written): accepted and ignored, as Amazon asks of consumers."""


def contact_event(event: ConnectEvent, received_at: datetime | None = None) -> CallEvent:
    """The call event an EventBridge contact event carries."""
    detail = event.detail
    if event.source != "aws.connect" or detail.channel.upper() != "VOICE":
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
        at=received_at or datetime.now(UTC),
        provider_time=event.time,
        unique=event.id,
        caller=(detail.customer_endpoint or {}).get("address"),
        agent_id=agent_arn.rsplit("/", 1)[-1] if isinstance(agent_arn, str) else None,
        provider_ids={"queue_arn": queue_arn} if isinstance(queue_arn, str) else {},
    )


class _Endpoint(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Address: str | None = None


class _Queue(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Name: str | None = None
    EnqueueTimestamp: datetime | None = None


class _Agent(BaseModel):
    model_config = ConfigDict(extra="ignore")
    ARN: str | None = None
    ConnectedToAgentTimestamp: datetime | None = None


class _Recording(BaseModel):
    model_config = ConfigDict(extra="ignore")
    Location: str | None = None


class TraceRecord(BaseModel):
    """The parts of an Amazon Connect contact trace record a call record needs."""

    model_config = ConfigDict(extra="ignore")

    ContactId: str = Field(min_length=1)
    Channel: str = "VOICE"
    CustomerEndpoint: _Endpoint | None = None
    InitiationTimestamp: datetime | None = None
    DisconnectTimestamp: datetime | None = None
    Queue: _Queue | None = None
    Agent: _Agent | None = None
    Recording: _Recording | None = None


def trace_record_events(
    record: TraceRecord, received_at: datetime | None = None
) -> list[CallEvent]:
    """The call events a contact trace record implies (each one idempotent)."""
    received = received_at or datetime.now(UTC)
    if record.Channel.upper() != "VOICE":
        raise NotAVoiceContact("not a voice contact trace record")
    caller = record.CustomerEndpoint.Address if record.CustomerEndpoint else None
    agent = record.Agent or _Agent()
    queue = record.Queue or _Queue()
    agent_id = agent.ARN.rsplit("/", 1)[-1] if agent.ARN else None

    def event(status: CallStatus, when: datetime | None, **facts: Any) -> CallEvent | None:
        if when is None:
            return None
        return CallEvent(
            provider=PROVIDER,
            call_id=record.ContactId,
            status=status,
            at=received,
            provider_time=when,
            unique=f"ctr-{status.value}",
            caller=caller,
            after_the_fact=True,
            **facts,
        )

    candidates = [
        event(CallStatus.STARTED, record.InitiationTimestamp),
        event(CallStatus.QUEUED, queue.EnqueueTimestamp),
        event(CallStatus.ANSWERED, agent.ConnectedToAgentTimestamp, agent_id=agent_id),
        event(CallStatus.ENDED, record.DisconnectTimestamp),
    ]
    location = record.Recording.Location if record.Recording else None
    if location:
        candidates.append(
            event(
                CallStatus.RECORDING_AVAILABLE,
                record.DisconnectTimestamp,
                recording_id=location,
                recording_url=f"s3://{location}",
            )
        )
    return [c for c in candidates if c is not None]
