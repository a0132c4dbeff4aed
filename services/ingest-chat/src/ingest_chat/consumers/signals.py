"""This instance's share of ``cc.signals.v1``: agents typing, and agents' messages
stored by whichever instance sent them, pushed to the visitors connected here.

Read in a consumer group of the process's own from the latest offset, so every
instance sees every signal (a visitor's socket may be held by any of them).
"""

from __future__ import annotations

from cc_common.events import Channel, ConversationTyping, WebchatMessageStored
from cc_common.kafka.consumer import Delivery
from ingest_chat.adapters.agent_messages import AgentMessages
from ingest_chat.adapters.live import LiveConnections

WEBCHAT_PREFIX = "webchat:"


class VisitorSignals:
    def __init__(self, live: LiveConnections, messages: AgentMessages) -> None:
        self._live = live
        self._messages = messages

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        data = event.data
        if isinstance(data, ConversationTyping):
            if data.party == "agent" and data.channel is Channel.WEBCHAT:
                conversation_id = data.conversation_key.removeprefix(WEBCHAT_PREFIX)
                await self._live.push(
                    conversation_id,
                    {"type": "typing", "party": "agent", "active": data.active},
                )
        elif isinstance(data, WebchatMessageStored):
            conversation_id = data.conversation_key.removeprefix(WEBCHAT_PREFIX)
            seen = self._live.oldest_seen(conversation_id)
            if seen is None or seen >= data.seq:
                return  # nobody here, or everybody here has it already
            fresh = await self._messages.since(event.tenant_id, conversation_id, seen)
            if fresh and await self._live.push_messages(conversation_id, fresh):
                await self._messages.mark_seen(
                    event.tenant_id, conversation_id, max(m.seq for m in fresh)
                )
