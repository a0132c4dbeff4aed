"""Each channel service acts only on outbound requests for its own channels."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from cc_common.events import (
    OUTBOUND_FAILED,
    OUTBOUND_REQUESTED,
    Channel,
    Content,
    Envelope,
    Identity,
    IdentityKind,
    OutboundFailed,
    OutboundRequested,
    outbound_request_for,
)

REPLY_ID = uuid.uuid4()


def requested(channel: Channel) -> Envelope[OutboundRequested]:
    return Envelope[OutboundRequested](
        id=REPLY_ID,
        type=OUTBOUND_REQUESTED,
        tenant_id="acme",
        occurred_at=datetime(2026, 12, 7, tzinfo=UTC),
        source="case-api",
        data=OutboundRequested(
            reply_id=REPLY_ID,
            channel=channel,
            conversation_key="c",
            agent_id="ana",
            recipient=Identity(kind=IdentityKind.EMAIL, value="sam@example.org"),
            content=Content(text="hi"),
        ),
    )


def test_a_request_for_one_of_my_channels_is_mine() -> None:
    event = requested(Channel.EMAIL)
    assert outbound_request_for(event, (Channel.EMAIL,)) is event.data
    assert outbound_request_for(event, {Channel.LINE: None, Channel.EMAIL: None}) is event.data


def test_another_channel_or_another_event_type_is_not() -> None:
    assert outbound_request_for(requested(Channel.VOICE), (Channel.EMAIL,)) is None
    failed = Envelope[OutboundFailed](
        id=uuid.uuid4(),
        type=OUTBOUND_FAILED,
        tenant_id="acme",
        occurred_at=datetime(2026, 12, 7, tzinfo=UTC),
        source="ingest-email",
        data=OutboundFailed(
            reply_id=REPLY_ID, channel=Channel.EMAIL, conversation_key="c", reason="550"
        ),
    )
    assert outbound_request_for(failed, (Channel.EMAIL,)) is None
