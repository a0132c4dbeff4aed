"""Sends agents' replies on LINE (``outbound.requested`` on the line channel)."""

from __future__ import annotations

from typing import Any, Protocol

from cc_common.events import OUTBOUND_REQUESTED, Channel, Envelope, OutboundRequested, utc_now
from cc_common.events.replies import reply_failed, reply_sent
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from ingest_chat.adapters.line_api import LineApi, PermanentSendFailure
from ingest_chat.adapters.reply_tokens import ReplyTokens
from ingest_chat.settings import LineChannel

log = get_logger(__name__)
SOURCE = "ingest-chat"


class Publisher(Protocol):
    async def publish(self, topic: str, event: Envelope[Any]) -> None: ...


class LineReplyHandler:
    def __init__(
        self,
        *,
        channels: dict[str, LineChannel],
        api: LineApi,
        tokens: ReplyTokens,
        producer: Publisher,
        topic: str,
    ) -> None:
        self._channels = channels
        self._api = api
        self._tokens = tokens
        self._producer = producer
        self._topic = topic

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        request = event.data
        if event.type != OUTBOUND_REQUESTED or not isinstance(request, OutboundRequested):
            return
        if request.channel is not Channel.LINE:
            return
        channel = self._channels.get(event.tenant_id)
        if channel is None:
            await self._fail(event, "the tenant has no LINE channel")
            return
        user_id = request.recipient.value
        try:
            sent = await self._api.send_text(
                channel,
                user_id=user_id,
                text=request.content.text or "",
                retry_key=str(request.reply_id),
                reply_token=self._tokens.take(event.tenant_id, user_id),
            )
        except PermanentSendFailure as exc:
            await self._fail(event, str(exc))
            return
        await self._producer.publish(
            self._topic,
            reply_sent(
                event,
                provider="line",
                provider_message_id=sent.message_id,
                sent_at=utc_now(),
                source=SOURCE,
            ),
        )
        log.info(
            "line.reply_sent",
            tenant_id=event.tenant_id,
            reply_id=str(request.reply_id),
            via=sent.via,
        )

    async def _fail(self, event: Envelope[OutboundRequested], reason: str) -> None:
        log.warning("line.reply_failed", tenant_id=event.tenant_id, reason=reason)
        await self._producer.publish(
            self._topic, reply_failed(event, reason=reason, failed_at=utc_now(), source=SOURCE)
        )
