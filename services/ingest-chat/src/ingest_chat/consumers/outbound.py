"""Sends agents' replies on the messaging channels (``outbound.requested``).

Each channel has a sender; a reply the provider accepts is published back as an
outbound interaction (settling the reply on the timeline once), a permanent
refusal as ``outbound.failed``, and temporary failures are raised so the
consumer retries with backoff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from cc_common.events import (
    Channel,
    OutboundRequested,
    Publisher,
    outbound_request_for,
    utc_now,
)
from cc_common.events.replies import reply_failed, reply_sent
from cc_common.events.signals import message_stored_signal
from cc_common.kafka.consumer import Delivery
from cc_common.logging import get_logger
from cc_common.topics import SIGNALS
from ingest_chat.adapters.agent_messages import AgentMessages
from ingest_chat.adapters.line_api import LineApi, PermanentSendFailure, Sent
from ingest_chat.adapters.live import LiveConnections
from ingest_chat.adapters.reply_tokens import ReplyTokens
from ingest_chat.adapters.senders import MetaSender, TelegramSender, TwilioSmsSender
from ingest_chat.settings import ChatSettings

log = get_logger(__name__)
SOURCE = "ingest-chat"

Send = Callable[[str, OutboundRequested], Awaitable[Sent]]
"""Send a reply for a tenant; raises PermanentSendFailure or TemporarySendFailure."""


def channel_senders(
    settings: ChatSettings,
    *,
    line: LineApi,
    meta: MetaSender,
    telegram: TelegramSender,
    sms: TwilioSmsSender,
    webchat: WebchatSender,
    tokens: ReplyTokens,
) -> dict[Channel, Send]:
    """The sender of each channel, with the tenant's credentials looked up per reply."""

    async def send_line(tenant_id: str, request: OutboundRequested) -> Sent:
        channel = settings.line.get(tenant_id)
        if channel is None:
            raise PermanentSendFailure("the tenant has no LINE channel")
        return await line.send_text(
            channel,
            user_id=request.recipient.value,
            text=request.content.text or "",
            retry_key=str(request.reply_id),
            reply_token=tokens.take(tenant_id, request.recipient.value),
        )

    async def send_meta(tenant_id: str, request: OutboundRequested) -> Sent:
        app = settings.meta.get(tenant_id)
        if app is None:
            raise PermanentSendFailure("the tenant has no Meta app")
        return await meta.send(app, request)

    async def send_telegram(tenant_id: str, request: OutboundRequested) -> Sent:
        bot = settings.telegram.get(tenant_id)
        if bot is None:
            raise PermanentSendFailure("the tenant has no Telegram bot")
        return await telegram.send(bot, request)

    async def send_sms(tenant_id: str, request: OutboundRequested) -> Sent:
        account = settings.twilio_sms.get(tenant_id)
        if account is None:
            raise PermanentSendFailure("the tenant has no Twilio messaging account")
        return await sms.send(account, request)

    return {
        Channel.WEBCHAT: webchat.send,
        Channel.SMS: send_sms,
        Channel.LINE: send_line,
        Channel.WHATSAPP: send_meta,
        Channel.MESSENGER: send_meta,
        Channel.INSTAGRAM: send_meta,
        Channel.TELEGRAM: send_telegram,
    }


class WebchatSender:
    """Keeps the reply for the visitor (numbered, for resume), pushes it to the sockets
    held here and announces it on ``cc.signals.v1`` for those held elsewhere."""

    def __init__(self, messages: AgentMessages, live: LiveConnections, producer: Publisher) -> None:
        self._messages = messages
        self._live = live
        self._producer = producer

    async def send(self, tenant_id: str, request: OutboundRequested) -> Sent:
        conversation_id = request.conversation_key.removeprefix("webchat:")
        stored = await self._messages.store(
            tenant_id,
            conversation_id,
            reply_id=str(request.reply_id),
            text=request.content.text or "",
            agent=request.agent_id,
            at=utc_now(),
        )
        delivered = await self._live.push_messages(conversation_id, [stored])
        if delivered:
            await self._messages.mark_seen(tenant_id, conversation_id, stored.seq)
        # The visitor's socket may be held by another instance: tell them all.
        await self._producer.publish(
            SIGNALS.name,
            message_stored_signal(tenant_id, request.conversation_key, stored.seq, source=SOURCE),
        )
        return Sent(stored.reply_id, "websocket" if delivered else "stored")


class SentRecord(Protocol):
    async def find(self, reply_id: str) -> Sent | None: ...

    async def record(self, reply_id: str, sent: Sent) -> None: ...


class MessagingReplyHandler:
    """Sends a reply, records that the provider took it, then announces it: a request
    delivered again after the send is announced again, never sent twice."""

    def __init__(
        self,
        *,
        senders: Mapping[Channel, Send],
        producer: Publisher,
        topic: str,
        sent_record: SentRecord,
    ) -> None:
        self._senders = senders
        self._producer = producer
        self._topic = topic
        self._sent_record = sent_record

    async def __call__(self, delivery: Delivery) -> None:
        event = delivery.event
        request = outbound_request_for(event, self._senders)
        if request is None:
            return
        send = self._senders[request.channel]
        reply_id = str(request.reply_id)
        sent = await self._sent_record.find(reply_id)
        if sent is not None:
            log.info("chat.reply_already_sent", reply_id=reply_id)
        else:
            try:
                sent = await send(event.tenant_id, request)
            except PermanentSendFailure as exc:
                log.warning("chat.reply_failed", channel=request.channel.value, reason=str(exc))
                failure = reply_failed(event, reason=str(exc), failed_at=utc_now(), source=SOURCE)
                await self._producer.publish(self._topic, failure)
                return
            await self._sent_record.record(reply_id, sent)
        confirmation = reply_sent(
            event,
            provider=request.channel.value,
            provider_message_id=sent.message_id,
            sent_at=utc_now(),
            source=SOURCE,
        )
        await self._producer.publish(self._topic, confirmation)
        log.info("chat.reply_sent", channel=request.channel.value, via=sent.via)
