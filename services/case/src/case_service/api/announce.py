"""Announcing an API change on ``cc.cases.v1`` for live views and integrations."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import Request

from case_service.domain.live import case_changed
from cc_common.events import Channel, ConversationTyping, typing_signal
from cc_common.kafka.producer import BrokerUnavailable, EventProducer
from cc_common.logging import get_logger
from cc_common.topics import CASES, SIGNALS

log = get_logger(__name__)


async def announce(
    request: Request, case: dict[str, Any], entry: dict[str, Any], actor: str
) -> None:
    """Publish ``case.changed``. The change is stored already: with the broker down the
    request still succeeds, and live views learn of it on their next read."""
    producer: EventProducer = request.app.state.runtime.producer
    try:
        await producer.publish(CASES.name, case_changed(case, entry, actor=actor))
    except BrokerUnavailable:
        log.warning("case.change_not_announced", case_id=case["_id"], entry_id=entry["_id"])


async def announce_typing(
    request: Request, case: dict[str, Any], *, agent: str, active: bool
) -> None:
    """Publish the agent's typing on ``cc.signals.v1`` (best effort: nothing is stored)."""
    producer: EventProducer = request.app.state.runtime.producer
    signal = typing_signal(
        case["tenant_id"],
        ConversationTyping(
            conversation_key=case["conversation_key"],
            channel=Channel(case["channel"]),
            party="agent",
            agent_id=agent,
            active=active,
        ),
        source="case",
    )
    with contextlib.suppress(BrokerUnavailable):
        await producer.publish(SIGNALS.name, signal)
