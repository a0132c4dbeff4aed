"""Sends a visitor who left the agents' unseen web-chat messages by email.

Every ``email_fallback_check_seconds`` each instance looks for agents' messages no
visitor has seen (not pushed to a socket, resumed, fetched or read) for
``email_fallback_minutes``, claims them (one instance wins per message) and asks for
one email per conversation on ``cc.outbound.v1``. Visitors who gave no email are
marked so and skipped.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from cc_common.events import Publisher, utc_now
from cc_common.kafka.producer import BrokerUnavailable
from cc_common.logging import get_logger
from cc_common.supervision import Periodic
from cc_common.topics import OUTBOUND
from ingest_chat.adapters.agent_messages import AgentMessages
from ingest_chat.domain.email_fallback import fallback_request
from ingest_chat.domain.webchat_wire import AgentMessage

log = get_logger(__name__)


class EmailFallback(Periodic):
    name = "webchat.email_fallback"

    def __init__(
        self,
        messages: AgentMessages,
        producer: Publisher,
        *,
        after: timedelta,
        interval_seconds: float,
    ) -> None:
        super().__init__(interval_seconds)
        self._messages = messages
        self._producer = producer
        self._after = after

    async def round(self) -> int:
        return await self.sweep()

    async def sweep(self) -> int:
        """One round; returns how many emails were requested."""
        unseen = await self._messages.unseen_since_before(utc_now() - self._after)
        by_conversation: defaultdict[tuple[str, str], list[AgentMessage]] = defaultdict(list)
        for tenant_id, conversation_id, message in unseen:
            by_conversation[(tenant_id, conversation_id)].append(message)
        requested = 0
        for (tenant_id, conversation_id), messages in by_conversation.items():
            visitor = await self._messages.visitor(tenant_id, conversation_id)
            outcome = "emailed" if visitor.email else "no email given"
            mine = [m for m in messages if await self._messages.claim_fallback(m.reply_id, outcome)]
            if not visitor.email or not mine:
                continue
            request = fallback_request(tenant_id, conversation_id, visitor.email, mine)
            try:
                await self._producer.publish(OUTBOUND.name, request)
            except BrokerUnavailable:
                await self._messages.release_fallback([m.reply_id for m in mine])
                raise
            requested += 1
            log.info("webchat.email_fallback", tenant_id=tenant_id, messages=len(mine))
        return requested
