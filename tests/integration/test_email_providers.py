"""Provider inbound webhooks against the real broker and database: SES through SNS
(signature checked against a locally generated signing certificate served over HTTP),
Mailgun, SendGrid and Postmark, each with good, bad and missing credentials, and
verified-but-unusable payloads kept on the dead-letter topic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from cc_common.events import Interaction
from cc_common.kafka.inspect import read_events, read_records
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.topics import INTERACTIONS
from ingest_email.main import create_app
from ingest_email.settings import EmailSettings
from tests.e2e.helpers import eventually
from tests.integration.email_fixtures import tenant_config
from tests.integration.fake_aws import FakeAws

CORPUS = Path(__file__).parents[1] / "corpus"
pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:acme-inbound"
MAILGUN_KEY = "key-mailgun-signing-0123456789"
BASIC = "parse:s3cret-parse-password"


@pytest.fixture(scope="module")
def aws() -> Iterator[FakeAws]:
    fake = FakeAws()
    yield fake
    fake.server.shutdown()


class Providers:
    def __init__(self, client: httpx.AsyncClient, settings: EmailSettings) -> None:
        self.client = client
        self.settings = settings

    async def event_of(self, message_id: str) -> Interaction:
        async def find() -> Interaction | None:
            events = await read_events(self.settings.kafka, INTERACTIONS.name)
            return next(
                (
                    e.data
                    for e in events
                    if isinstance(e.data, Interaction) and e.data.provider_message_id == message_id
                ),
                None,
            )

        return await eventually(find, timeout=15, what=message_id)


SENDGRID_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest_asyncio.fixture
async def providers(
    kafka_settings: KafkaSettings, mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[Providers]:
    public = SENDGRID_KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = EmailSettings(
        kafka=kafka_settings,
        mongo=mongo_settings,
        database=f"email{unique}",
        tenants={
            "acme": tenant_config(
                sns_topic_arns=[TOPIC],
                mailgun_signing_keys=[MAILGUN_KEY],
                inbound_basic_auth=[BASIC],
                sendgrid_verification_keys=[base64.b64encode(public).decode()],
            ),
            "plain": tenant_config(addresses=["help@plain.example"], inbound_basic_auth=[BASIC]),
        },
        outbound_consumer_group=f"email-out{unique}",
        sns_certificate_hosts=r"127\.0\.0\.1",
        sns_certificate_scheme="http",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://email") as client:
            yield Providers(client, settings)


def raw_mail(subject: str = "Order question") -> tuple[str, bytes]:
    message = EmailMessage()
    message["From"] = "Sam Buyer <sam@example.org>"
    message["To"] = "support@acme.example"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.org")
    message.set_content("Where is my order?")
    return str(message["Message-ID"]), message.as_bytes()


def sns_notification(aws: FakeAws, raw: bytes, *, topic: str = TOPIC) -> dict[str, str]:
    ses = {
        "notificationType": "Received",
        "mail": {"destination": ["support@acme.example"]},
        "receipt": {"action": {"type": "SNS", "topicArn": topic, "encoding": "BASE64"}},
        "content": base64.b64encode(raw).decode(),
    }
    return aws.sign(
        {
            "Type": "Notification",
            "MessageId": make_msgid(),
            "TopicArn": topic,
            "Subject": "Amazon SES Email Receipt Notification",
            "Message": json.dumps(ses),
            "Timestamp": "2026-11-23T01:00:00.000Z",
        }
    )


async def test_sns_subscription_is_confirmed_on_the_provider_host(
    providers: Providers, aws: FakeAws
) -> None:
    confirmation = aws.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "m-1",
            "Token": "tok",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe",
            "SubscribeURL": f"{aws.base}/?Action=ConfirmSubscription&Token=tok",
            "Timestamp": "2026-11-23T01:00:00.000Z",
        },
        version="1",
    )
    response = await providers.client.post(
        "/v1/providers/ses/acme", content=json.dumps(confirmation)
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "subscribed"
    assert any("Token=tok" in path for path in aws.confirmations)


async def test_ses_mail_through_sns_is_verified_and_published(
    providers: Providers, aws: FakeAws
) -> None:
    message_id, raw = raw_mail()
    response = await providers.client.post(
        "/v1/providers/ses/acme", content=json.dumps(sns_notification(aws, raw))
    )
    assert response.status_code == 200, response.text
    event = await providers.event_of(message_id)
    assert event.provider == "ses"
    assert event.content is not None
    assert event.content.text == "Where is my order?"
    fetches = aws.certificate_fetches
    _, again = raw_mail()
    await providers.client.post(
        "/v1/providers/ses/acme", content=json.dumps(sns_notification(aws, again))
    )
    assert aws.certificate_fetches == fetches  # the certificate is cached


async def test_ses_bounce_through_sns_becomes_a_failed_status_of_the_reply_it_concerns(
    providers: Providers, aws: FakeAws
) -> None:
    bounce = (CORPUS / "ses" / "bounce-with-dsn.json").read_text()
    signed = aws.sign(
        {
            "Type": "Notification",
            "MessageId": make_msgid(),
            "TopicArn": TOPIC,
            "Message": bounce,
            "Timestamp": "2026-11-23T01:00:00.000Z",
        }
    )
    response = await providers.client.post("/v1/providers/ses/acme", content=json.dumps(signed))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "recorded"

    async def status_event() -> Interaction | None:
        events = await read_events(providers.settings.kafka, INTERACTIONS.name)
        return next(
            (
                e.data
                for e in events
                if isinstance(e.data, Interaction)
                and e.data.provider_ids.get("status_of") == "<reply-ses-bounce@acme.example>"
            ),
            None,
        )

    event = await eventually(status_event, timeout=15, what="the bounce status")
    assert event.provider_ids["delivery"] == "failed"
    assert event.provider_ids["error_code"] == "5.0.0"
    assert "550 user unknown" in event.provider_ids["error_reason"]
    dead = await read_records(providers.settings.kafka, INTERACTIONS.dlq)
    assert not any(b"reply-ses-bounce@" in value for value, _ in dead)


async def test_sns_forgeries_are_refused(providers: Providers, aws: FakeAws) -> None:
    _, raw = raw_mail()
    tampered = sns_notification(aws, raw)
    tampered["Message"] = tampered["Message"].replace("Received", "Received ")
    assert (await providers.client.post("/v1/providers/ses/acme", json=tampered)).status_code == 401
    foreign = sns_notification(aws, raw)
    foreign["SigningCertURL"] = "http://attacker.example/cert.pem"
    assert (await providers.client.post("/v1/providers/ses/acme", json=foreign)).status_code == 401
    other_topic = sns_notification(aws, raw, topic="arn:aws:sns:us-east-1:999:other")
    response = await providers.client.post("/v1/providers/ses/acme", json=other_topic)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    unsigned = {k: v for k, v in sns_notification(aws, raw).items() if k != "Signature"}
    assert (await providers.client.post("/v1/providers/ses/acme", json=unsigned)).status_code == 401


def mailgun_form(raw: bytes, *, key: str = MAILGUN_KEY, age: float = 0) -> dict[str, str]:
    timestamp = str(int(time.time() - age))
    token = secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        "recipient": "support@acme.example",
        "body-mime": raw.decode(),
    }


async def test_mailgun_routes_are_verified_fresh_and_not_replayed(providers: Providers) -> None:
    message_id, raw = raw_mail()
    form = mailgun_form(raw)
    response = await providers.client.post("/v1/providers/mailgun/acme", data=form)
    assert response.status_code == 200, response.text
    assert (await providers.event_of(message_id)).provider == "mailgun"
    replay = await providers.client.post("/v1/providers/mailgun/acme", data=form)
    assert replay.json()["status"] == "duplicate"
    for bad in (mailgun_form(raw, key="wrong"), mailgun_form(raw, age=3600)):
        response = await providers.client.post("/v1/providers/mailgun/acme", data=bad)
        assert response.status_code == 401
    parsed_id = make_msgid(domain="example.org")
    parsed = {
        **{k: v for k, v in mailgun_form(raw).items() if k != "body-mime"},
        "message-headers": json.dumps(
            [["From", "Ana <ana@example.com>"], ["Subject", "Parsed"], ["Message-Id", parsed_id]]
        ),
        "body-plain": "Sent as parsed fields",
    }
    files = {"attachment-1": ("note.txt", b"attached text", "text/plain")}
    response = await providers.client.post("/v1/providers/mailgun/acme", data=parsed, files=files)
    assert response.json()["status"] == "accepted", response.text
    event = await providers.event_of(parsed_id)
    assert event.content is not None
    assert event.content.text == "Sent as parsed fields"
    assert [a.filename for a in event.content.attachments] == ["note.txt"]


async def test_sendgrid_parse_is_verified_by_its_ecdsa_signature(providers: Providers) -> None:
    message_id, raw = raw_mail()
    request = httpx.Request(
        "POST", "http://email/", data={"email": raw.decode(), "to": "support@acme.example"}
    )
    body = request.read()
    timestamp = str(int(time.time()))
    signature = SENDGRID_KEY.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    headers = {
        "Content-Type": request.headers["content-type"],
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
    }
    response = await providers.client.post(
        "/v1/providers/sendgrid/acme", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    assert (await providers.event_of(message_id)).provider == "sendgrid"
    headers["X-Twilio-Email-Event-Webhook-Timestamp"] = str(int(timestamp) + 1)
    response = await providers.client.post(
        "/v1/providers/sendgrid/acme", content=body, headers=headers
    )
    assert response.status_code == 401


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


async def test_sendgrid_without_a_policy_and_postmark_use_basic_auth(providers: Providers) -> None:
    sendgrid_form = {
        "headers": "From: Ana <ana@example.com>\nSubject: Parsed SendGrid\n"
        f"Message-ID: {make_msgid(domain='example.com')}\n",
        "text": "parsed body",
        "to": "help@plain.example",
    }
    ok = await providers.client.post(
        "/v1/providers/sendgrid/plain", data=sendgrid_form, headers=basic(BASIC)
    )
    assert ok.status_code == 200, ok.text
    missing = await providers.client.post("/v1/providers/sendgrid/plain", data=sendgrid_form)
    assert missing.status_code == 401
    postmark = {
        "From": "Ana <ana@example.com>",
        "To": "support@acme.example",
        "Subject": "Postmark inbound",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "TextBody": "Hello from Postmark",
        "Headers": [{"Name": "X-Spam-Status", "Value": "No"}],
        "Attachments": [
            {
                "Name": "a.txt",
                "Content": base64.b64encode(b"hi").decode(),
                "ContentType": "text/plain",
                "ContentLength": 2,
            }
        ],
    }
    response = await providers.client.post(
        "/v1/providers/postmark/acme", json=postmark, headers=basic(BASIC)
    )
    assert response.status_code == 200, response.text
    event = await providers.event_of("<22c74902-a0c1-4511-804f-341342852c90@postmark.inbound>")
    assert event.content is not None
    assert event.content.text == "Hello from Postmark"
    assert [a.filename for a in event.content.attachments] == ["a.txt"]
    wrong = await providers.client.post(
        "/v1/providers/postmark/acme", json=postmark, headers=basic("parse:wrong")
    )
    assert wrong.status_code == 401
    unknown = await providers.client.post(
        "/v1/providers/postmark/nobody", json=postmark, headers=basic(BASIC)
    )
    assert unknown.status_code == 404


async def test_verified_but_unusable_payloads_are_dead_lettered_with_the_reason(
    providers: Providers,
) -> None:
    response = await providers.client.post(
        "/v1/providers/postmark/acme", json={"Subject": "no sender"}, headers=basic(BASIC)
    )
    assert response.status_code == 200
    assert response.json()["status"] == "dead_lettered"
    records = await read_records(providers.settings.kafka, INTERACTIONS.dlq)
    (record,) = [r for r in records if b"postmark" in r[0]]
    value, headers = record
    assert json.loads(value)["reason"] == "From is missing"
    assert dict(headers)["x-error-message"] == b"From is missing"
    assert json.loads(value)["payload_blob_id"]
