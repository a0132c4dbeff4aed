"""Which payload model each event type carries, and decoding of raw bytes."""

from __future__ import annotations

from collections.abc import Container, Mapping
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from cc_common.events.agents import (
    AgentConfigured,
    AgentPresenceChanged,
    AgentTaskActed,
    QueueConfigured,
    RoutingPolicyConfigured,
)
from cc_common.events.cases import CaseChanged, CaseSlaBreached
from cc_common.events.envelope import Envelope, RawEnvelope
from cc_common.events.interaction import Channel, Interaction
from cc_common.events.outbound import (
    CallbackRequested,
    OutboundFailed,
    OutboundRequested,
    VerificationRequested,
)
from cc_common.events.routing import RoutingChange, TaskState
from cc_common.events.signals import (
    CASE_PRESENCE,
    CONVERSATION_TYPING,
    WEBCHAT_MESSAGE_STORED,
    CasePresence,
    ConversationTyping,
    WebchatMessageStored,
)

INTERACTION_RECEIVED: Final = "interaction.received"
INTERACTION_UPDATED: Final = "interaction.updated"
AGENT_PRESENCE_CHANGED: Final = "agent.presence_changed"
AGENT_TASK_ACTED: Final = "agent.task_acted"
AGENT_CONFIGURED: Final = "agent.configured"
QUEUE_CONFIGURED: Final = "queue.configured"
ROUTING_POLICY_CONFIGURED: Final = "routing_policy.configured"
OUTBOUND_REQUESTED: Final = "outbound.requested"
OUTBOUND_FAILED: Final = "outbound.failed"
VERIFICATION_REQUESTED: Final = "verification.requested"
CALLBACK_REQUESTED: Final = "callback.requested"
CASE_SLA_BREACHED: Final = "case.sla_breached"
CASE_CHANGED: Final = "case.changed"


def routing_event_type(state: TaskState) -> str:
    """Return the event type announcing that a task reached ``state``."""
    return f"task.{state.value}"


EVENT_TYPES: Final[dict[str, type[BaseModel]]] = {
    INTERACTION_RECEIVED: Interaction,
    INTERACTION_UPDATED: Interaction,
    AGENT_PRESENCE_CHANGED: AgentPresenceChanged,
    AGENT_TASK_ACTED: AgentTaskActed,
    AGENT_CONFIGURED: AgentConfigured,
    QUEUE_CONFIGURED: QueueConfigured,
    ROUTING_POLICY_CONFIGURED: RoutingPolicyConfigured,
    OUTBOUND_REQUESTED: OutboundRequested,
    OUTBOUND_FAILED: OutboundFailed,
    VERIFICATION_REQUESTED: VerificationRequested,
    CALLBACK_REQUESTED: CallbackRequested,
    CASE_SLA_BREACHED: CaseSlaBreached,
    CASE_CHANGED: CaseChanged,
    CONVERSATION_TYPING: ConversationTyping,
    CASE_PRESENCE: CasePresence,
    WEBCHAT_MESSAGE_STORED: WebchatMessageStored,
    **{routing_event_type(state): RoutingChange for state in TaskState},
}


class UndecodableEvent(ValueError):
    """The bytes are not a valid event of a known type; retrying will not help."""


def decode_event(raw: bytes) -> Envelope[Any]:
    """Parse bytes into an envelope whose ``data`` is the model its type declares."""
    try:
        head = RawEnvelope.model_validate_json(raw)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid envelope: {_first_error(exc)}") from exc
    return _typed(head)


def event_from_json(data: Mapping[str, Any]) -> Envelope[Any]:
    """An envelope stored as JSON-compatible data (``model_dump(mode="json")``), typed."""
    try:
        head = RawEnvelope.model_validate(data)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid envelope: {_first_error(exc)}") from exc
    return _typed(head)


def _typed(head: RawEnvelope) -> Envelope[Any]:
    model = EVENT_TYPES.get(head.type)
    if model is None:
        raise UndecodableEvent(f"unknown event type {head.type!r}")
    try:
        data = model.model_validate(head.data)
    except ValidationError as exc:
        raise UndecodableEvent(f"invalid {head.type} payload: {_first_error(exc)}") from exc
    fields = head.model_dump(exclude={"data"})
    return Envelope[model](**fields, data=data)  # type: ignore[valid-type]


def encode_event(event: Envelope[Any]) -> bytes:
    """Serialise an envelope to JSON bytes."""
    return event.model_dump_json().encode()


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


def outbound_request_for(
    event: Envelope[Any], channels: Container[Channel]
) -> OutboundRequested | None:
    """The reply or call an ``outbound.requested`` event asks of one of ``channels``;
    None for other events and other channels (each channel service consumes the one
    outbound topic and acts on its own channels only)."""
    request = event.data
    if event.type != OUTBOUND_REQUESTED or not isinstance(request, OutboundRequested):
        return None
    return request if request.channel in channels else None


def verification_request_for(
    event: Envelope[Any], channel: Channel
) -> VerificationRequested | None:
    """The one-time code a ``verification.requested`` event asks ``channel`` to send;
    None for other events and channels (as :func:`outbound_request_for`)."""
    request = event.data
    if event.type != VERIFICATION_REQUESTED or not isinstance(request, VerificationRequested):
        return None
    return request if request.channel is channel else None
