"""ingest-email in-process against the real broker and database: SMTP answers, threading
through what we sent, loop and noise safety, attachments in GridFS, and replies sent
through a real SMTP relay with the headers that make clients thread them."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pymongo import AsyncMongoClient

from cc_common.auth import Role, issue_token
from cc_common.events import (
    OUTBOUND_REQUESTED,
    Channel,
    Content,
    Direction,
    EmailFacts,
    Envelope,
    Identity,
    IdentityKind,
    Interaction,
    InteractionKind,
    OutboundFailed,
    OutboundRequested,
    ThreadMatch,
)
from cc_common.kafka.admin import ensure_topics
from cc_common.kafka.inspect import read_events
from cc_common.kafka.producer import EventProducer
from cc_common.mongo import Document
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.topics import INTERACTIONS, OUTBOUND
from contactcenter_cli.processes import ManagedProcess, free_port, wait_for_port
from ingest_email.adapters.blobs import SMALL_LIMIT, BlobStore
from ingest_email.main import create_app
from ingest_email.settings import EmailSettings, SmtpRelay
from tests.e2e.helpers import eventually
from tests.integration.email_fixtures import TRUSTED_RELAY, Sink, start_sink, tenant_config

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


class Email:
    def __init__(self, app: FastAPI, settings: EmailSettings, sink: Sink) -> None:
        self.app = app
        self.settings = settings
        self.sink = sink

    async def send(self, message: EmailMessage, *, to: str = "support@acme.example") -> str:
        """Deliver over SMTP; returns the server's answer."""
        _, answer = await aiosmtplib.send(
            message,
            sender=str(message["From"].addresses[0].addr_spec),
            recipients=[to],
            hostname="127.0.0.1",
            port=self.settings.smtp_port,
        )
        return answer

    async def published(self, message_id: str) -> Envelope[Interaction]:
        async def find() -> Envelope[Interaction] | None:
            events = await read_events(self.settings.kafka, INTERACTIONS.name)
            return next(
                (
                    e
                    for e in events
                    if isinstance(e.data, Interaction) and e.data.provider_message_id == message_id
                ),
                None,
            )

        return await eventually(find, timeout=15, what=f"event of {message_id}")


def acme_settings(
    kafka: KafkaSettings, mongo: MongoSettings, unique: str, **overrides: Any
) -> EmailSettings:
    """ingest-email for tenant acme, on its own database, group and SMTP port."""
    return EmailSettings(
        kafka=kafka,
        mongo=mongo,
        database=f"email{unique}",
        tenants={"acme": tenant_config()},
        smtp_port=free_port(),
        outbound_consumer_group=f"email-out{unique}",
        **overrides,
    )


@asynccontextmanager
async def running_email(
    kafka: KafkaSettings, mongo: MongoSettings, unique: str, **overrides: Any
) -> AsyncIterator[Email]:
    """ingest-email in-process for tenant acme, relaying to a local mailbox."""
    sink_port = free_port()
    sink, controller = start_sink(sink_port)
    settings = acme_settings(kafka, mongo, unique, relay=SmtpRelay(port=sink_port), **overrides)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            yield Email(app, settings, sink)
    finally:
        controller.stop()


@pytest_asyncio.fixture
async def email(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[Email]:
    async with running_email(
        kafka_settings, mongo_settings, unique, max_body_bytes=200_000
    ) as running:
        yield running


def facts(event: Envelope[Interaction]) -> EmailFacts:
    assert event.data.email is not None
    return event.data.email


def customer_address(event: Envelope[Interaction]) -> str:
    customer = event.data.customer()
    assert customer is not None
    return customer.identities[0].value


def mail(
    *,
    sender: str = "Sam Buyer <sam@example.org>",
    subject: str = "Invoice problem",
    body: str = "The invoice total is wrong.",
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


async def test_smtp_answers_250_only_with_the_event_on_the_broker(email: Email) -> None:
    message = mail()
    answer = await email.send(message)
    assert answer.startswith("2.0.0 Message accepted")
    # Durable before the answer: the event is readable right away.
    events = await read_events(email.settings.kafka, INTERACTIONS.name)
    (event,) = [e for e in events if e.data.provider_message_id == message["Message-ID"]]
    assert event.data.conversation_key == f"email:{message['Message-ID']}"
    assert customer_address(event) == "sam@example.org"
    assert event.data.content.text == "The invoice total is wrong."
    assert facts(event).thread_match is ThreadMatch.NEW
    assert facts(event).raw_blob_id


async def test_unknown_recipients_get_550_and_oversized_mail_552(email: Email) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await email.send(mail(), to="nobody@elsewhere.example")
    assert refused.value.recipients[0].code == 550
    huge = mail(body="x" * 300_000)
    with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
        await email.send(huge)
    assert too_big.value.code == 552


async def test_attachments_go_to_the_blob_store_not_the_broker(email: Email) -> None:
    message = mail()
    pdf = b"%PDF-1.4 " + bytes(range(256)) * 200
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="invoice.pdf")
    await email.send(message)
    event = await email.published(message["Message-ID"])
    assert event.data.content is not None
    (attachment,) = event.data.content.attachments
    assert (attachment.filename, attachment.size) == ("invoice.pdf", len(pdf))
    assert len(event.model_dump_json()) < len(pdf)  # by reference, never inline
    blobs = BlobStore(email.app.state.runtime.db)
    assert await blobs.get("acme", attachment.blob_id) == pdf
    assert await blobs.get("other-tenant", attachment.blob_id) is None


async def request_reply(
    email: Email,
    producer: EventProducer,
    first: Envelope[Interaction],
    text: str,
    *,
    times: int = 1,
) -> OutboundRequested:
    reply = OutboundRequested(
        reply_id=uuid.uuid4(),
        channel=Channel.EMAIL,
        conversation_key=first.data.conversation_key,
        case_id=str(uuid.uuid4()),
        agent_id="alice",
        recipient=Identity(kind=IdentityKind.EMAIL, value="sam@example.org"),
        content=Content(subject="Invoice problem", text=text),
        in_reply_to=first.data.provider_message_id,
    )
    event = Envelope[OutboundRequested](
        id=reply.reply_id,
        type=OUTBOUND_REQUESTED,
        tenant_id="acme",
        occurred_at=first.occurred_at,
        source="test",
        data=reply,
    )
    for _ in range(times):  # more than once: a redelivery of the same request
        await producer.publish(OUTBOUND.name, event)
    return reply


async def test_a_permanent_refusal_marks_the_reply_failed(
    email: Email, producer: EventProducer
) -> None:
    email.sink.refuse.add("sam@example.org")
    first_mail = mail()
    await email.send(first_mail)
    first = await email.published(first_mail["Message-ID"])
    reply = await request_reply(email, producer, first, "This will bounce.")

    async def failure() -> OutboundFailed | None:
        events = await read_events(email.settings.kafka, INTERACTIONS.name)
        return next(
            (
                e.data
                for e in events
                if isinstance(e.data, OutboundFailed) and e.data.reply_id == reply.reply_id
            ),
            None,
        )

    failed = await eventually(failure, timeout=20, what="outbound.failed")
    assert "550" in failed.reason
    assert failed.conversation_key == first.data.conversation_key
    assert email.sink.received(In_Reply_To=str(first_mail["Message-ID"])) == []


async def test_a_request_delivered_again_is_announced_again_but_mailed_once(
    email: Email, producer: EventProducer
) -> None:
    """The oversized-reply loop: each retry of an announcement that failed re-sent the
    mail. The send is recorded before the announcement; a redelivery only announces."""
    first_mail = mail()
    await email.send(first_mail)
    first = await email.published(first_mail["Message-ID"])
    reply = await request_reply(email, producer, first, "Only once, please.", times=3)

    async def announcements() -> list[Envelope[Interaction]] | None:
        events = await read_events(email.settings.kafka, INTERACTIONS.name)
        found = [
            e
            for e in events
            if isinstance(e.data, Interaction)
            and e.data.provider_ids.get("reply_id") == str(reply.reply_id)
        ]
        return found if len(found) == 3 else None

    announced = await eventually(announcements, timeout=30, what="three announcements")
    assert len({e.id for e in announced}) == 1  # one event id: the case stores it once
    assert len(email.sink.received(In_Reply_To=str(first_mail["Message-ID"]))) == 1


async def test_replies_thread_and_answers_come_back_to_the_conversation(
    email: Email, producer: EventProducer
) -> None:
    first_mail = mail()
    await email.send(first_mail)
    first = await email.published(first_mail["Message-ID"])
    reply = await request_reply(email, producer, first, "We have corrected it.")

    async def sent() -> list[EmailMessage]:
        return email.sink.received(In_Reply_To=first_mail["Message-ID"])

    (delivered,) = await eventually(sent, timeout=20, what="the reply at the relay")
    assert str(delivered["To"]) == "sam@example.org"
    assert first_mail["Message-ID"] in str(delivered["References"])
    assert str(delivered["Subject"]).startswith("Re: Invoice problem [#C-")
    assert str(delivered["X-Loop"]) == "support@acme.example"
    sent_id = str(delivered["Message-ID"])
    # The sent reply is published once, as an outbound interaction of the conversation.
    confirmation = await email.published(sent_id)
    assert confirmation.data.direction is Direction.OUTBOUND
    assert confirmation.data.provider_ids["reply_id"] == str(reply.reply_id)
    assert confirmation.data.conversation_key == first.data.conversation_key

    # The customer answers with a new subject: same conversation.
    answer = mail(subject="Thanks!", In_Reply_To=sent_id, References=sent_id)
    await email.send(answer)
    joined = await email.published(answer["Message-ID"])
    assert joined.data.conversation_key == first.data.conversation_key
    assert facts(joined).thread_match is ThreadMatch.REPLY

    # A client that dropped the headers still carries the case token.
    token_only = mail(subject=str(delivered["Subject"]))
    await email.send(token_only)
    by_token = await email.published(token_only["Message-ID"])
    assert by_token.data.conversation_key == first.data.conversation_key
    assert facts(by_token).thread_match is ThreadMatch.CASE_TOKEN

    # Someone else answering the same mail opens their own conversation.
    stranger = mail(sender="eve@example.net", In_Reply_To=sent_id, References=sent_id)
    await email.send(stranger)
    apart = await email.published(stranger["Message-ID"])
    assert apart.data.conversation_key == f"email:{stranger['Message-ID']}"

    # A forward starts a new conversation that links back.
    forward = mail(subject="Fwd: Re: Invoice problem", References=sent_id)
    await email.send(forward)
    forwarded = await email.published(forward["Message-ID"])
    assert forwarded.data.conversation_key == f"email:{forward['Message-ID']}"
    assert facts(forwarded).related_conversation_key == first.data.conversation_key


async def test_noise_never_asks_for_an_agent_and_our_own_mail_is_dropped(
    email: Email,
) -> None:
    ooo = mail(subject="Out of Office: Invoice problem", Auto_Submitted="auto-replied")
    await email.send(ooo)
    auto = await email.published(ooo["Message-ID"])
    assert auto.data.kind is InteractionKind.AUTO_REPLY
    assert not auto.data.routing_hints.needs_human

    staff = mail(sender="Alice <alice@acme.example>", subject="Re: Invoice problem")
    staff.replace_header("To", "sam@example.org")
    staff["Cc"] = "support@acme.example"
    # The tenant's relay checked her domain's DKIM signature (sender_auth.py).
    staff["Authentication-Results"] = f"{TRUSTED_RELAY}; dkim=pass header.d=acme.example"
    await email.send(staff)
    colleague = await email.published(staff["Message-ID"])
    assert colleague.data.direction is Direction.OUTBOUND
    assert customer_address(colleague) == "sam@example.org"
    assert facts(colleague).sent_by_staff
    assert not colleague.data.routing_hints.needs_human

    loop = mail(sender="Acme Support <support@acme.example>")
    answer = await email.send(loop)
    assert answer.startswith("2.0.0")
    later = mail()
    await email.send(later)
    await email.published(later["Message-ID"])
    events = await read_events(email.settings.kafka, INTERACTIONS.name)
    assert not [e for e in events if e.data.provider_message_id == loop["Message-ID"]]


async def test_the_upload_endpoint_threads_like_smtp(email: Email) -> None:
    token = issue_token(
        email.settings.auth, subject="tool", tenant_id="acme", roles=[Role.INTEGRATION]
    )
    message = mail()
    transport = httpx.ASGITransport(app=email.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://email") as client:
        response = await client.post(
            "/v1/messages",
            content=message.as_bytes(),
            headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {token}"},
        )
        again = await client.post(
            "/v1/messages",
            content=message.as_bytes(),
            headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert body["outcome"] == "published"
    assert again.json()["event_id"] == body["event_id"]  # a retry is the same event
    await asyncio.sleep(0)


async def test_smtp_answers_451_while_the_broker_is_down(
    private_broker: tuple[ManagedProcess, KafkaSettings],
    mongo_settings: MongoSettings,
    unique: str,
) -> None:
    broker, kafka = private_broker
    settings = acme_settings(kafka, mongo_settings, unique)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        email = Email(app, settings, Sink())
        assert (await email.send(mail())).startswith("2.0.0")
        broker.stop()
        held_back = mail(subject="Sent during the outage")
        with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
            await email.send(held_back)
        # 4xx: the sending server keeps the message and tries again later.
        assert refused.value.code == 451
        # Its thread-index entry owes the event: with the broker back, the outbox relay
        # publishes it even though the sender has not retried yet (a retry is a repeat).
        broker.start()
        wait_for_port(broker, int(kafka.bootstrap_servers.rsplit(":", 1)[1]), 30)
        await ensure_topics(kafka)  # the embedded broker keeps nothing across a restart
        event = await email.published(held_back["Message-ID"])
        assert event.data.content is not None
        assert event.data.content.subject == "Sent during the outage"
        client = AsyncMongoClient[Document](mongo_settings.url.get_secret_value())
        try:
            index = client[settings.database]["email_messages"]

            async def marked_published() -> bool:
                stored = await index.find_one({"message_id": held_back["Message-ID"]})
                return stored is not None and "outbox_pending" not in stored

            await eventually(marked_published, what="the index entry marked published")
        finally:
            await client.close()


async def test_blobs_are_stored_once_per_tenant_in_either_tier(
    mongo: AsyncMongoClient[Document], unique: str
) -> None:
    blobs = BlobStore(mongo[f"blobs{unique}"])
    small, large = b"small attachment" * 10, bytes(range(256)) * (SMALL_LIMIT // 256 + 1)
    for data in (small, large):
        blob_id = await blobs.put("acme", data, filename="f", content_type="application/pdf")
        again = await blobs.put("acme", data, filename="f", content_type="application/pdf")
        assert again == blob_id
        assert await blobs.get("acme", blob_id) == data
        assert await blobs.get("globex", blob_id) is None
        other = await blobs.put("globex", data, filename="f", content_type="application/pdf")
        assert await blobs.get("globex", other) == data
    assert await blobs.get("acme", "not-an-id") is None


async def test_one_address_sending_too_fast_gets_451_while_others_are_served(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> None:
    settings = acme_settings(
        kafka_settings,
        mongo_settings,
        unique,
        smtp_messages_per_ip_per_second=0.5,
        smtp_message_burst_per_ip=3,
    )
    app = create_app(settings)

    refusals: list[str] = []

    async def send(source: str) -> int:
        message = mail()
        try:
            await aiosmtplib.send(
                message,
                sender="sam@example.org",
                recipients=["support@acme.example"],
                hostname="127.0.0.1",
                port=settings.smtp_port,
                source_address=(source, 0),
            )
        except aiosmtplib.SMTPSenderRefused as refused:
            refusals.append(refused.message)
            return refused.code
        return 250

    async with app.router.lifespan_context(app):
        flood = [await send("127.0.0.1") for _ in range(5)]
        assert flood == [250, 250, 250, 451, 451], "a burst of three, then 4xx: retry later"
        assert all(r.startswith("4.7.1 Too many messages from 127.0.0.1") for r in refusals)
        assert await send("127.0.0.2") == 250, "another sender is served meanwhile"
