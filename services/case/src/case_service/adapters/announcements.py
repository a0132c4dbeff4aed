"""Announcements on the broker: case changes, agents typing, replies for the channels."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from typing import Any

from case_service.domain.live_events import case_changed
from case_service.domain.model import Case
from cc_common.events import (
    Channel,
    ConversationTyping,
    Envelope,
    OutboundRequested,
    Publish,
    typing_signal,
)
from cc_common.kafka.producer import BrokerUnavailable
from cc_common.logging import get_logger
from cc_common.topics import CASES, OUTBOUND, SIGNALS

log = get_logger(__name__)


class BrokerAnnouncements:
    """``in_background``: do not hold the caller on the broker's acknowledgement (the
    case consumer, whose batch would wait on each announcement)."""

    def __init__(self, publish: Publish, *, in_background: bool = False) -> None:
        self._publish = publish
        self._in_background = in_background
        self._pending: set[asyncio.Task[None]] = set()

    async def case_changed(self, case: Case, entry: Mapping[str, Any], actor: str | None) -> None:
        event = case_changed(case, entry, actor=actor)
        if self._in_background:
            task = asyncio.create_task(self._send(CASES.name, event))
            self._pending.add(task)
            task.add_done_callback(self._announced)
            return
        try:
            await self._publish(CASES.name, event)
        except BrokerUnavailable:
            log.warning("case.change_not_announced", case_id=case.id, entry_id=entry["_id"])

    async def _send(self, topic: str, event: Envelope[Any]) -> None:
        await self._publish(topic, event)

    def _announced(self, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("case.change_not_announced", error=type(task.exception()).__name__)

    async def typing(self, case: Case, *, agent: str, active: bool) -> None:
        signal = typing_signal(
            case.tenant_id,
            ConversationTyping(
                conversation_key=case.conversation_key or "",
                channel=Channel(case.channel),
                party="agent",
                agent_id=agent,
                active=active,
            ),
            source="case",
        )
        with contextlib.suppress(BrokerUnavailable):
            await self._publish(SIGNALS.name, signal)

    async def reply_requested(self, event: Envelope[OutboundRequested]) -> bool:
        try:
            await self._publish(OUTBOUND.name, event)
        except BrokerUnavailable:
            log.warning("reply.announce_deferred", reply_id=str(event.id))
            return False
        return True
