"""The event contract: the envelope, the payload models and their registry."""

from cc_common.events.agents import AgentPresenceChanged, AgentTaskActed, Presence, TaskAction
from cc_common.events.envelope import (
    Envelope,
    derived_event_id,
    provider_event_id,
    utc_now,
)
from cc_common.events.interaction import (
    AttachmentRef,
    Channel,
    Content,
    Direction,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    Party,
    PartyRole,
    RoutingHints,
    VoiceFacts,
)
from cc_common.events.outbound import OutboundRequested
from cc_common.events.registry import (
    AGENT_PRESENCE_CHANGED,
    AGENT_TASK_ACTED,
    EVENT_TYPES,
    INTERACTION_RECEIVED,
    INTERACTION_UPDATED,
    OUTBOUND_REQUESTED,
    UndecodableEvent,
    decode_event,
    encode_event,
    routing_event_type,
)
from cc_common.events.routing import RoutingChange, TaskState

__all__ = [
    "AGENT_PRESENCE_CHANGED",
    "AGENT_TASK_ACTED",
    "EVENT_TYPES",
    "INTERACTION_RECEIVED",
    "INTERACTION_UPDATED",
    "OUTBOUND_REQUESTED",
    "AgentPresenceChanged",
    "AgentTaskActed",
    "AttachmentRef",
    "Channel",
    "Content",
    "Direction",
    "Envelope",
    "Identity",
    "IdentityKind",
    "Interaction",
    "InteractionKind",
    "OutboundRequested",
    "Party",
    "PartyRole",
    "Presence",
    "RoutingChange",
    "RoutingHints",
    "TaskAction",
    "TaskState",
    "UndecodableEvent",
    "VoiceFacts",
    "decode_event",
    "derived_event_id",
    "encode_event",
    "provider_event_id",
    "routing_event_type",
    "utc_now",
]
