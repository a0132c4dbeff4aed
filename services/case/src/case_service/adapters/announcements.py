"""Announcements on the broker: case changes, agents typing, what stored entries owe."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from case_service.domain.live_events import case_changed
from case_service.domain.model import Case
from cc_common.events import (
    CasePresence,
    Channel,
    ConversationTyping,
    Envelope,
    Publish,
    case_presence_signal,
    typing_signal,
)
from cc_common.events.owed import Owed
from cc_common.kafka.producer import BrokerUnavailable
from cc_common.logging import get_logger
from cc_common.outbox import publish_owed
from cc_common.topics import CASES, SIGNALS

log = get_logger(__name__)


class BrokerAnnouncements:
    """``in_background``: do not hold the caller on each acknowledgement (the case
    consumer, whose batch would wait on every announcement); it calls :meth:`settle`
    before committing its batch instead, so an announcement the broker did not take
    is sent again, never lost to a hiccup."""

    def __init__(self, publish: Publish, *, in_background: bool = False) -> None:
        self._publish = publish
        self._in_background = in_background
        self._pending: set[asyncio.Task[None]] = set()
        self._unsent: list[tuple[str, Envelope[Any]]] = []

    async def case_changed(self, case: Case, entry: Mapping[str, Any], actor: str | None) -> None:
        event = case_changed(case, entry, actor=actor)
        if self._in_background:
            task = asyncio.create_task(self._send(CASES.name, event))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            return
        try:
            await self._publish(CASES.name, event)
        except BrokerUnavailable:
            log.warning("case.change_not_announced", case_id=case.id, entry_id=entry["_id"])

    async def owed(self, owed: Sequence[Owed]) -> bool:
        return await publish_owed(self._publish, owed)

    async def settle(self) -> None:
        """Return once every announcement made so far is acknowledged; BrokerUnavailable
        while some are not (they are kept and sent again on the next call)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)
        unsent, self._unsent = self._unsent, []
        for number, (topic, event) in enumerate(unsent):
            try:
                await self._publish(topic, event)
            except BrokerUnavailable:
                self._unsent.extend(unsent[number:])
                raise

    async def _send(self, topic: str, event: Envelope[Any]) -> None:
        try:
            await self._publish(topic, event)
        except BrokerUnavailable:
            log.warning("case.change_announce_retried", event_id=str(event.id))
            self._unsent.append((topic, event))

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

    async def presence(
        self, case: Case, *, agent: str, state: str, taken_over_by: str | None = None
    ) -> None:
        """Who has the case open or is drafting on it: a signal, lost if the broker is
        down (the desks renew it every half minute)."""
        signal = case_presence_signal(
            case.tenant_id,
            CasePresence(
                case_id=case.id,
                customer_id=case.customer_id,
                agent_id=agent,
                state=state,
                taken_over_by=taken_over_by,
            ),
            source="case",
        )
        with contextlib.suppress(BrokerUnavailable):
            await self._publish(SIGNALS.name, signal)
