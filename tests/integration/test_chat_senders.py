"""The messaging send APIs against a local HTTP stand-in: what each provider receives,
and how its answers are classified (sent, temporary, permanent)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from cc_common.events import (
    OUTBOUND_REQUESTED,
    Channel,
    Content,
    Envelope,
    Identity,
    IdentityKind,
    OutboundRequested,
)
from cc_common.kafka.consumer import Delivery
from cc_common.mongo import make_mongo_client
from cc_common.settings import MongoSettings
from ingest_chat.adapters.line_api import PermanentSendFailure, Sent, TemporarySendFailure
from ingest_chat.adapters.senders import MetaSender, TelegramSender, TwilioSmsSender
from ingest_chat.adapters.sent_replies import SentReplies
from ingest_chat.consumers.outbound import MessagingReplyHandler
from ingest_chat.settings import MetaApp, TelegramBot, TwilioSms
from tests.e2e.provider_stand_in import ProviderStandIn

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


def answer(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if "sendMessage" in path:
        return {"ok": True, "result": {"message_id": 77}}
    if path.endswith("Messages.json"):
        return {"sid": "SM77"}
    return {"recipient_id": "PSID1", "message_id": "m_77"}


@pytest.fixture(scope="module")
def stand_in() -> Iterator[ProviderStandIn]:
    server = ProviderStandIn(answer)
    yield server
    server.close()


@pytest_asyncio.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def request(channel: Channel, kind: IdentityKind, to: str, **extra: Any) -> OutboundRequested:
    return OutboundRequested(
        reply_id=uuid.uuid4(),
        channel=channel,
        conversation_key=f"{channel.value}:x",
        agent_id="ana",
        recipient=Identity(kind=kind, value=to),
        content=Content(text="Thanks for waiting"),
        **extra,
    )


async def test_messenger_telegram_and_sms_requests(
    stand_in: ProviderStandIn, http: httpx.AsyncClient
) -> None:
    app = MetaApp(
        app_secrets=["s"],
        verify_tokens=["v"],
        page_access_token="page-token",
        graph_base_url=stand_in.url,
    )
    sent = await MetaSender(http).send(
        app, request(Channel.MESSENGER, IdentityKind.MESSENGER_PSID, "PSID1")
    )
    assert sent.message_id == "m_77"
    (graph,) = stand_in.sent("/v21.0/me/messages")
    assert graph["body"]["recipient"] == {"id": "PSID1"}
    assert graph["body"]["message"] == {"text": "Thanks for waiting"}
    assert graph["headers"]["Authorization"] == "Bearer page-token"

    bot = TelegramBot(secret_tokens=["t"], bot_token="123:ABC", api_base_url=stand_in.url)
    sent = await TelegramSender(http).send(
        bot, request(Channel.TELEGRAM, IdentityKind.TELEGRAM_USER_ID, "424242")
    )
    assert sent.message_id == "77"
    (telegram,) = stand_in.sent("/bot123:ABC/sendMessage")
    assert telegram["body"] == {"chat_id": "424242", "text": "Thanks for waiting"}

    account = TwilioSms(
        auth_tokens=["tok"],
        account_sid="AC1",
        from_number="+81312345678",
        api_base_url=stand_in.url,
    )
    sent = await TwilioSmsSender(http).send(
        account, request(Channel.SMS, IdentityKind.PHONE, "+819012345678")
    )
    assert sent.message_id == "SM77"
    (sms,) = stand_in.sent("/2010-04-01/Accounts/AC1/Messages.json")
    assert sms["body"] == {
        "To": "+819012345678",
        "From": "+81312345678",
        "Body": "Thanks for waiting",
    }


async def test_whatsapp_free_text_outside_the_window_is_refused_before_sending(
    stand_in: ProviderStandIn, http: httpx.AsyncClient
) -> None:
    app = MetaApp(
        app_secrets=["s"],
        verify_tokens=["v"],
        whatsapp_token="wa",
        whatsapp_phone_number_id="P9",
        graph_base_url=stand_in.url,
    )
    stale = request(
        Channel.WHATSAPP,
        IdentityKind.WHATSAPP_ID,
        "5511987654321",
        customer_last_inbound_at=datetime.now(UTC) - timedelta(hours=25),
    )
    with pytest.raises(PermanentSendFailure, match="24-hour"):
        await MetaSender(http).send(app, stale)
    assert stand_in.sent("/v21.0/P9/messages") == []


async def test_provider_outages_are_temporary(http: httpx.AsyncClient) -> None:
    bot = TelegramBot(secret_tokens=["t"], bot_token="1:A", api_base_url="http://127.0.0.1:9")
    with pytest.raises(TemporarySendFailure):
        await TelegramSender(http).send(
            bot, request(Channel.TELEGRAM, IdentityKind.TELEGRAM_USER_ID, "1")
        )


class Published:
    def __init__(self) -> None:
        self.events: list[Envelope[Any]] = []

    async def publish(self, topic: str, event: Envelope[Any]) -> None:
        self.events.append(event)


async def test_a_request_delivered_again_is_announced_again_but_sent_once(
    stand_in: ProviderStandIn,
    http: httpx.AsyncClient,
    mongo_settings: MongoSettings,
    unique: str,
) -> None:
    """Telegram has no retry key: without the record, a redelivery sent it twice."""
    bot = TelegramBot(secret_tokens=["t"], bot_token="999:ONCE", api_base_url=stand_in.url)

    async def send_telegram(tenant_id: str, reply: OutboundRequested) -> Sent:
        return await TelegramSender(http).send(bot, reply)

    client = make_mongo_client(mongo_settings, app_name="sent-replies-test")
    published = Published()
    handler = MessagingReplyHandler(
        senders={Channel.TELEGRAM: send_telegram},
        producer=published,
        topic="cc.interactions.v1",
        sent_record=SentReplies(client[f"chat{unique}"]),
    )
    reply = request(Channel.TELEGRAM, IdentityKind.TELEGRAM_USER_ID, "515151")
    event = Envelope[OutboundRequested](
        id=reply.reply_id,
        type=OUTBOUND_REQUESTED,
        tenant_id="acme",
        occurred_at=datetime.now(UTC),
        source="test",
        data=reply,
    )
    delivery = Delivery("cc.outbound.v1", 0, 0, None, b"", [], event)
    try:
        await handler(delivery)
        await handler(delivery)  # the announcement failed the first time: delivered again
    finally:
        await client.close()
    assert len(stand_in.sent("/bot999:ONCE/sendMessage")) == 1
    first, second = published.events
    assert first.id == second.id  # the same announcement: the reply settles once
    assert first.data.provider_message_id == second.data.provider_message_id == "77"
