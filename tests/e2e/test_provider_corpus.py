"""Providers' own payloads through the running system: every corpus sample with a door
(tests/corpus/MANIFEST.json) is sent as its provider sends it, authenticated as its
provider authenticates, and its facts are read back through the case API. Then the
facts that need a conversation around them: an SES bounce of a reply we really sent,
and a Twilio call answered outside our queues."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiosmtplib
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cc_common.auth import Role
from cc_common.signatures import twilio_signature
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token
from tests.e2e.helpers import eventually, find_customer, full_timeline
from tests.e2e.provider_stand_in import ProviderStandIn
from tests.integration.email_fixtures import Sink, start_sink, tenant_config
from tests.integration.fake_aws import FakeAws

pytestmark = [pytest.mark.e2e]
on_the_session_loop = pytest.mark.asyncio(loop_scope="session")

CORPUS = Path(__file__).parents[1] / "corpus"
MANIFEST = json.loads((CORPUS / "MANIFEST.json").read_text())["samples"]
DOORS = {
    "telegram",
    "postmark",
    "sendgrid",
    "smtp",
    "line",
    "meta",
    "twilio-sms",
    "mailgun",
    "ses-inbound",
    "twilio-voice",
    "connect",
    "connect-ctr",
}
MAILGUN_KEY = "key-mailgun-signing-for-tests"
TENANT = "acme"
TELEGRAM_SECRET = "telegram-webhook-secret-for-tests"
BASIC = "parse:s3cret-parse-password"
TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:acme-mail"
TWILIO_TOKEN = "twilio-auth-token-for-tests-0123456789"
LINE_SECRET = "line-channel-secret-for-tests"
META_SECRET = "meta-app-secret-for-tests"
LINE_USER = "U4af4980629a1b2c3d4e5f60718293a4b"
WHATSAPP_NUMBER = "106540352242922"
ACCOUNT = "AC" + "0" * 32


class Corpus:
    def __init__(
        self, stack: Stack, sink: Sink, aws: FakeAws, provider_ids: list[tuple[Any, str]]
    ) -> None:
        self.stack, self.sink, self.aws = stack, sink, aws
        self.provider_ids = provider_ids
        """(what a provider stand-in was asked to send, the id it answered)."""
        self.agent = token(stack, TENANT, Role.AGENT, subject="alice")


@pytest.fixture(scope="module")
def corpus(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    aws = FakeAws()
    line_api = ProviderStandIn(lambda path, body: {"sentMessages": [{"id": "1"}]})
    sends: list[tuple[Any, str]] = []

    def send(path: str, body: dict[str, Any]) -> dict[str, Any]:
        """WhatsApp's Graph API and Twilio's Messages API, answering with fresh ids."""
        if path.endswith("/Messages.json"):
            sends.append((body, sid := f"SM{uuid.uuid4().hex}"))
            return {"sid": sid, "status": "queued"}
        sends.append((body, wamid := f"wamid.out{uuid.uuid4().hex}"))
        return {"messaging_product": "whatsapp", "messages": [{"id": wamid}]}

    provider = ProviderStandIn(send)
    # LINE's profile endpoint, as its reference shows the answer (our user id).
    line_api.files[f"/v2/bot/profile/{LINE_USER}"] = (
        json.dumps(
            {
                "displayName": "LINE taro",
                "userId": LINE_USER,
                "language": "ja",
                "pictureUrl": "https://profile.line-scdn.net/abcdefghijklmn",
                "statusMessage": "Hello, LINE!",
            }
        ).encode(),
        "application/json",
    )
    sink_port = free_port()
    sink, controller = start_sink(sink_port)
    env = {
        "CHAT_TELEGRAM": json.dumps(
            {TENANT: {"secret_tokens": [TELEGRAM_SECRET], "bot_token": "123:test"}}
        ),
        "CHAT_LINE": json.dumps(
            {
                TENANT: {
                    "channel_secrets": [LINE_SECRET],
                    "access_token": "line-token",
                    "api_base_url": line_api.url,
                }
            }
        ),
        "CHAT_META": json.dumps(
            {
                TENANT: {
                    "app_secrets": [META_SECRET],
                    "verify_tokens": ["verify-me"],
                    "whatsapp_token": "wa-token",
                    "whatsapp_phone_number_id": WHATSAPP_NUMBER,
                    "graph_base_url": provider.url,
                }
            }
        ),
        "CHAT_TWILIO_SMS": json.dumps(
            {
                TENANT: {
                    "auth_tokens": [TWILIO_TOKEN],
                    "account_sid": ACCOUNT,
                    "from_number": "+15017122661",
                    "api_base_url": provider.url,
                }
            }
        ),
        "EMAIL_TENANTS": json.dumps(
            {
                TENANT: tenant_config(
                    inbound_basic_auth=[BASIC],
                    sns_topic_arns=[TOPIC],
                    mailgun_signing_keys=[MAILGUN_KEY],
                )
            }
        ),
        "EMAIL_SNS_CERTIFICATE_HOSTS": r"127\.0\.0\.1",
        "EMAIL_SNS_CERTIFICATE_SCHEME": "http",
        "VOICE_TWILIO": json.dumps(
            {TENANT: {"auth_tokens": [TWILIO_TOKEN], "account_sid": ACCOUNT}}
        ),
    }
    try:
        with running_stack(
            infra, tmp_path_factory.mktemp("corpus"), mail_sink_port=sink_port, extra_env=env
        ) as stack:
            yield Corpus(stack, sink, aws, sends)
    finally:
        controller.stop()
        aws.server.shutdown()
        line_api.close()
        provider.close()


def basic(credentials: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def ses_door(corpus: Corpus) -> str:
    return f"{corpus.stack.url('ingest-email')}/v1/providers/ses/{TENANT}"


def sns_notification(corpus: Corpus, message: str) -> str:
    """An SES notification as SNS delivers it, signed with the stand-in's certificate."""
    signed = corpus.aws.sign(
        {
            "Type": "Notification",
            "MessageId": str(uuid.uuid4()),
            "TopicArn": TOPIC,
            "Message": message,
            "Timestamp": "2026-12-02T00:00:00.000Z",
        }
    )
    return json.dumps(signed)


async def send(client: httpx.AsyncClient, corpus: Corpus, sample: dict[str, Any]) -> None:
    """Deliver one sample through its door, as its provider would."""
    path = CORPUS / sample["file"]
    door = sample["door"]
    if door in ("telegram", "line", "meta", "postmark"):
        body = path.read_bytes()
        url, headers = json_door(corpus, door, body)
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
    elif door == "twilio-sms":
        await _post_signed(client, corpus, "twilio-sms", json.loads(path.read_text()))
        return
    elif door == "mailgun":
        fields = json.loads(path.read_text())
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex
        digest = hmac.new(MAILGUN_KEY.encode(), (stamp + nonce).encode(), hashlib.sha256)
        fields |= {"timestamp": stamp, "token": nonce, "signature": digest.hexdigest()}
        response = await client.post(
            f"{corpus.stack.url('ingest-email')}/v1/providers/mailgun/{TENANT}",
            data=fields,
            files={"unused": ("", b"", "application/octet-stream")},
        )
    elif door == "ses-inbound":
        response = await client.post(
            ses_door(corpus), content=sns_notification(corpus, path.read_text())
        )
    elif door == "twilio-voice":
        request = json.loads(path.read_text())
        url = f"{corpus.stack.url('ingest-voice')}/v1/twilio/{TENANT}/voice/{request['leaf']}"
        response = await client.post(
            url,
            content=urlencode(request["fields"]),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, request["fields"]),
            },
        )
        assert response.status_code in (200, 204), response.text
        return
    elif door in ("connect", "connect-ctr"):
        leaf = "events" if door == "connect" else "trace-records"
        integration = token(corpus.stack, TENANT, Role.INTEGRATION, subject="connect")
        response = await client.post(
            f"{corpus.stack.url('ingest-voice')}/v1/connect/{leaf}",
            content=path.read_bytes(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {integration}"},
        )
        assert response.status_code == 202, response.text
        if sample["expect"].get("ignored"):
            assert response.json()["event_ids"] == []
            assert response.json()["ignored"]
        return
    elif door == "sendgrid":
        form = json.loads(path.read_text())
        files = {
            name: (f["filename"], base64.b64decode(f["base64"]), f["content_type"])
            for name, f in form["files"].items()
        }
        response = await client.post(
            f"{corpus.stack.url('ingest-email')}/v1/providers/sendgrid/{TENANT}",
            data=form["fields"],
            files=files,
            headers=basic(BASIC),
        )
    else:
        assert door == "smtp"
        await aiosmtplib.send(
            path.read_bytes(),
            sender="mailer@example.org",
            recipients=["support@acme.example"],
            hostname="127.0.0.1",
            port=corpus.stack.config.smtp_port,
        )
        return
    assert response.status_code in (200, 202, 204), response.text
    assert response.json().get("status") != "dead_lettered", response.text


async def entries_of(
    client: httpx.AsyncClient, corpus: Corpus, identity: str
) -> list[dict[str, Any]] | None:
    case_url = corpus.stack.url("case")
    customer = await find_customer(client, case_url, corpus.agent, identity)
    if customer is None:
        return None
    return await full_timeline(client, case_url, corpus.agent, customer["id"])


@on_the_session_loop
@pytest.mark.parametrize(
    "sample", [s for s in MANIFEST if s["door"] in DOORS], ids=lambda s: s["file"]
)
async def test_a_providers_own_payload_lands_on_the_timeline_with_its_facts(
    corpus: Corpus, sample: dict[str, Any]
) -> None:
    expect = sample["expect"]
    async with httpx.AsyncClient(timeout=10) as client:
        await send(client, corpus, sample)

        async def entry() -> dict[str, Any] | None:
            for candidate in await entries_of(client, corpus, expect["identity"]) or []:
                interaction = candidate.get("interaction") or {}
                content = interaction.get("content") or {}
                if candidate["entry_type"] != "interaction" or candidate["kind"] != expect["kind"]:
                    continue
                if candidate["kind"] == "call" and not _call_as_expected(candidate["call"], expect):
                    continue
                if "text" in expect and content.get("text") != expect["text"]:
                    continue
                if expect.get("text_contains", "") not in (content.get("text") or ""):
                    continue
                blobs = [a["blob_id"] for a in content.get("attachments") or []]
                if expect.get("attachment_ids", blobs) != blobs:
                    continue
                wanted_id = expect.get("provider_message_id")
                if wanted_id and interaction.get("provider_message_id") != wanted_id:
                    continue
                return candidate
            return None

        if expect.get("ignored"):
            return
        found = await eventually(entry, what=f"{sample['file']} on the timeline")
        interaction = found["interaction"]
        content = interaction.get("content") or {}
        if "display_name" in expect:
            customer = await find_customer(
                client, corpus.stack.url("case"), corpus.agent, expect["identity"]
            )
            assert customer is not None
            assert customer["display_name"] == expect["display_name"]
        if "language" in expect:
            assert content["language"] == expect["language"]
            assert interaction["routing_hints"]["language"] == expect["language"]
        if "language_hint" in expect:
            assert content["language_facts"]["hinted"] == expect["language_hint"]
        if "attachments" in expect:
            got = [[a["filename"], a["inline"]] for a in content["attachments"]]
            assert got == expect["attachments"]
        if "attachment_ids" in expect:
            assert [a["blob_id"] for a in content["attachments"]] == expect["attachment_ids"]
        if "provider_time_prefix" in expect:
            assert interaction["provider_time"].startswith(expect["provider_time_prefix"])
        if "defect" in expect:
            assert expect["defect"] in interaction["parse_defects"]
        if expect.get("routed") is False:
            assert interaction["routing_hints"]["needs_human"] is False


def _call_as_expected(call: dict[str, Any], expect: dict[str, Any]) -> bool:
    """A call record shows what the sample says (its events may still be arriving)."""
    return bool(
        call["state"] == expect.get("call_state", call["state"])
        and call["disposition"] == expect.get("disposition", call["disposition"])
        and len(call["recordings"]) == expect.get("recordings", len(call["recordings"]))
        and call["answered_by"] == expect.get("answered_by", call["answered_by"])
        and len(call["unanswered_dials"])
        == expect.get("unanswered_dials", len(call["unanswered_dials"]))
        and expect.get("transcript", "") in (call["transcript"] or "")
    )


FEEDBACK = [s for s in MANIFEST if s["door"] == "feedback"]


@on_the_session_loop
@pytest.mark.parametrize("sample", FEEDBACK, ids=lambda s: s["file"])
async def test_feedback_on_a_reply_we_really_sent_lands_on_that_reply(
    corpus: Corpus, sample: dict[str, Any]
) -> None:
    """Each delivery-feedback sample (SES, WhatsApp and Twilio statuses) is pointed at a
    reply the system really sent on its channel, posted through its door, and read back
    on that reply through the case API."""
    async with httpx.AsyncClient(timeout=10) as client:
        provider = sample["provider"]
        if provider == "ses":
            sent_id, identity = await _reply_by_email(client, corpus)
            document = json.loads((CORPUS / sample["file"]).read_text())
            document["mail"]["commonHeaders"] = {
                **document["mail"].get("commonHeaders", {}),
                "messageId": sent_id,
            }
            await _post_signed(client, corpus, "ses-feedback", document)
        elif provider == "whatsapp":
            document = json.loads((CORPUS / sample["file"]).read_text())
            status = document["entry"][0]["changes"][0]["value"]["statuses"][0]
            sent_id, identity = await _reply_on_whatsapp(client, corpus, status["recipient_id"])
            status["id"] = sent_id
            await _post_signed(client, corpus, "meta", document)
        else:
            form = json.loads((CORPUS / sample["file"]).read_text())
            sent_id, identity = await _reply_by_sms(client, corpus, form["To"], form["From"])
            form["MessageSid"] = form["SmsSid"] = sent_id
            await _post_signed(client, corpus, "twilio-sms", form)

        async def settled_reply() -> dict[str, Any] | None:
            entries = await entries_of(client, corpus, identity) or []
            for entry in entries:
                reply = entry.get("reply") or {}
                if reply.get("provider_message_id") == sent_id and sample["expect"]["delivery"] in (
                    reply.get("delivery") or {}
                ):
                    return reply
            return None

        reply = await eventually(settled_reply, what=f"{sample['file']} on the reply")
        if "error_code" in sample["expect"]:
            assert reply["delivery_error"]["code"] == sample["expect"]["error_code"]
            assert reply["delivery_error"]["status"] == sample["expect"]["delivery"]


async def _post_signed(
    client: httpx.AsyncClient, corpus: Corpus, door: str, document: dict[str, Any]
) -> None:
    """Post ``document`` as SNS (SES feedback), Meta or Twilio Messaging would, signed."""
    if door == "ses-feedback":
        response = await client.post(
            ses_door(corpus), content=sns_notification(corpus, json.dumps(document))
        )
    elif door == "meta":
        body = json.dumps(document).encode()
        url, headers = json_door(corpus, "meta", body)
        response = await client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
    else:
        url = f"{corpus.stack.url('ingest-chat')}/v1/twilio/{TENANT}/sms"
        response = await client.post(
            url,
            content=urlencode(document),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, document),
            },
        )
    assert response.status_code == 200, response.text


async def _reply(client: httpx.AsyncClient, corpus: Corpus, identity: str) -> str:
    """Answer the customer's newest case through the case API (202 once it knows whom);
    returns the reply's text, unique to this reply."""
    text = f"Thank you, we are on it ({uuid.uuid4().hex[:8]})."

    async def case_id() -> str | None:
        entries = await entries_of(client, corpus, identity) or []
        inbound = [e for e in entries if e["kind"] == "message" and e["direction"] == "inbound"]
        return max(inbound, key=lambda e: e["occurred_at"])["case_id"] if inbound else None

    case = await eventually(case_id, what=f"{identity}'s message")

    async def replied() -> bool:
        response = await client.post(
            f"{corpus.stack.url('case')}/v1/cases/{case}/replies",
            json={"text": text},
            headers={"Authorization": f"Bearer {corpus.agent}", "Idempotency-Key": text},
        )
        assert response.status_code in (202, 409), response.text
        return response.status_code == 202

    await eventually(replied, what="the reply accepted")
    return text


async def _sent_id(corpus: Corpus, text: str) -> str:
    """The id the provider stand-in gave the send carrying ``text``."""

    async def find() -> str | None:
        return next((i for body, i in corpus.provider_ids if text in json.dumps(body)), None)

    return await eventually(find, what="the reply at the provider")


async def _reply_by_email(client: httpx.AsyncClient, corpus: Corpus) -> tuple[str, str]:
    address = f"sam-{uuid.uuid4().hex[:8]}@example.org"
    mail = EmailMessage()
    mail["From"] = f"Sam <{address}>"
    mail["To"] = "support@acme.example"
    mail["Subject"] = "Where is my order?"
    mail["Message-ID"] = make_msgid(domain="example.org")
    mail.set_content("It has not arrived.")
    await aiosmtplib.send(mail, hostname="127.0.0.1", port=corpus.stack.config.smtp_port)
    await _reply(client, corpus, f"email:{address}")
    sent = await eventually(
        lambda: _received(corpus.sink, address), what="the reply in the customer's mailbox"
    )
    return sent, f"email:{address}"


async def _reply_on_whatsapp(
    client: httpx.AsyncClient, corpus: Corpus, wa_id: str
) -> tuple[str, str]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": WHATSAPP_NUMBER},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": wa_id}],
        "messages": [
            {
                "from": wa_id,
                "id": f"wamid.in{uuid.uuid4().hex}",
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": "Any news?"},
            }
        ],
    }
    message = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": value}]}],
    }
    await _post_signed(client, corpus, "meta", message)
    identity = f"whatsapp_id:{wa_id}"
    return await _sent_id(corpus, await _reply(client, corpus, identity)), identity


async def _reply_by_sms(
    client: httpx.AsyncClient, corpus: Corpus, customer: str, ours: str
) -> tuple[str, str]:
    form = {
        "MessageSid": f"SM{uuid.uuid4().hex}",
        "AccountSid": ACCOUNT,
        "From": customer,
        "To": ours,
        "Body": "Any news?",
        "NumMedia": "0",
    }
    await _post_signed(client, corpus, "twilio-sms", form)
    identity = f"phone:{customer}"
    return await _sent_id(corpus, await _reply(client, corpus, identity)), identity


async def _received(sink: Sink, address: str) -> str | None:
    with sink.lock:
        for message in sink.messages:
            if address in str(message.get("To", "")):
                return str(message["Message-ID"])
    return None


@on_the_session_loop
async def test_a_twilio_call_answered_outside_our_queues_is_connected_not_missed(
    corpus: Corpus,
) -> None:
    caller = f"+8190{uuid.uuid4().int % 10**8:08d}"
    sid = f"CA{uuid.uuid4().hex}"
    base = f"{corpus.stack.url('ingest-voice')}/v1/twilio/{TENANT}/voice"

    async def post(client: httpx.AsyncClient, leaf: str, fields: dict[str, str]) -> None:
        url = f"{base}/{leaf}"
        response = await client.post(
            url,
            content=urlencode(fields),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, fields),
            },
        )
        assert response.status_code in (200, 204), response.text

    # The status callback as Twilio documents it (only `completed` is sent by default).
    call = {
        "AccountSid": ACCOUNT,
        "CallSid": sid,
        "From": caller,
        "To": "+81312345678",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "CallbackSource": "call-progress-events",
        "SequenceNumber": "0",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        await post(client, "incoming", {**call, "CallStatus": "ringing"})
        await post(
            client,
            "status",
            {
                **call,
                "CallStatus": "completed",
                "CallDuration": "242",
                "Duration": "5",
                "Timestamp": "Wed, 02 Dec 2026 09:04:02 +0000",
            },
        )

        async def call_entry() -> dict[str, Any] | None:
            entries = await entries_of(client, corpus, f"phone:{caller}") or []
            found = next((e for e in entries if e["kind"] == "call"), None)
            return found if found and found["call"]["terminal"] else None

        entry = await eventually(call_entry, what="the call record")
        assert entry["call"]["disposition"] == "connected"
        assert entry["call"]["duration_seconds"] == 242
        entries = await entries_of(client, corpus, f"phone:{caller}") or []
        assert not [e for e in entries if e["kind"] == "callback.requested"]


# -- mutations of the real samples -------------------------------------------------------

ACCEPTED = {"accepted", "dead_lettered", "duplicate", "recorded", "ignored", "published"}
REFUSED = {400, 401, 404, 413, 415, 422}
JUNK: st.SearchStrategy[Any] = st.sampled_from(
    [None, 0, -1, 1.5e308, True, "", "\x00\ufffd", [], {}, "x" * 300]
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*prefix, index)))
    return found


@st.composite
def mutated_json(draw: st.DrawFn, document: Any) -> Any:
    """The document with up to three fields dropped or given a value of another type."""
    mutated = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(mutated)
        if not paths:
            break
        *parent_path, key = draw(st.sampled_from(paths))
        parent = mutated
        for step in parent_path:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[key]
        else:
            parent[key] = draw(JUNK)
    return mutated


@st.composite
def mutated_mail(draw: st.DrawFn, raw: bytes) -> bytes:
    """A mail with a wrong charset label, raw 8-bit header bytes, a cut, or a lost boundary."""
    edits = [
        lambda m: m.replace(b"charset=utf-8", b"charset=" + draw(CHARSETS), 1),
        lambda m: m.replace(b"charset=UTF-8", b"charset=" + draw(CHARSETS), 1),
        lambda m: m.replace(b"Subject: ", b"Subject: " + draw(st.binary(max_size=12)), 1),
        lambda m: m[: draw(st.integers(0, len(m)))],
        lambda m: m.replace(b"boundary=", b"boundry=", 1),
        lambda m: m.replace(b"\r\n", b"\n"),
    ]
    for edit in draw(st.lists(st.sampled_from(edits), min_size=1, max_size=3)):
        raw = edit(raw)
    return raw


CHARSETS = st.sampled_from([b"iso-2022-jp", b"shift_jis", b"no-such-charset", b"utf-16", b'"'])
JSON_DOORS = [s for s in MANIFEST if s["door"] in {"telegram", "postmark", "line", "meta"}]
MAIL_SAMPLES = [s for s in MANIFEST if s["door"] == "smtp"]


def _judge(response: httpx.Response) -> None:
    """Stored, dead-lettered or refused for good with a problem body; never a 5xx."""
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.status_code in REFUSED, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
    elif response.content:
        body = response.json()
        assert body.get("status", body.get("outcome", "accepted")) in ACCEPTED, body


MUTATIONS = settings(
    # The suite runs a fixed set (a red CI must be reproducible); CC_MUTATION_EXAMPLES
    # asks for a longer, random exploration.
    max_examples=int(os.environ.get("CC_MUTATION_EXAMPLES", "40")),
    derandomize="CC_MUTATION_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def json_door(corpus: Corpus, door: str, body: bytes) -> tuple[str, dict[str, str]]:
    """Where a provider posts JSON, and the headers that authenticate it."""
    chat, email = corpus.stack.url("ingest-chat"), corpus.stack.url("ingest-email")
    if door == "telegram":
        return f"{chat}/v1/telegram/{TENANT}/webhook", {
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET
        }
    if door == "line":
        digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
        return f"{chat}/v1/line/{TENANT}/webhook", {
            "X-Line-Signature": base64.b64encode(digest).decode()
        }
    if door == "meta":
        digest_hex = hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return f"{chat}/v1/meta/{TENANT}/webhook", {"X-Hub-Signature-256": f"sha256={digest_hex}"}
    assert door == "postmark"
    return f"{email}/v1/providers/postmark/{TENANT}", basic(BASIC)


@MUTATIONS
@given(data=st.data())
def test_mutated_provider_json_is_stored_dead_lettered_or_refused(
    corpus: Corpus, data: st.DataObject
) -> None:
    sample = data.draw(st.sampled_from(JSON_DOORS), label="sample")
    document = json.loads((CORPUS / sample["file"]).read_text())
    body = json.dumps(data.draw(mutated_json(document), label="mutation")).encode()
    url, headers = json_door(corpus, sample["door"], body)
    with httpx.Client(timeout=15) as client:
        response = client.post(
            url, content=body, headers={"Content-Type": "application/json", **headers}
        )
    _judge(response)


@MUTATIONS
@given(data=st.data())
def test_mutated_mail_is_stored_or_refused_for_good(corpus: Corpus, data: st.DataObject) -> None:
    sample = data.draw(st.sampled_from(MAIL_SAMPLES), label="sample")
    raw = data.draw(mutated_mail((CORPUS / sample["file"]).read_bytes()), label="mutation")
    integration = token(corpus.stack, TENANT, Role.INTEGRATION, subject="mail-importer")
    with httpx.Client(timeout=15) as client:
        response = client.post(
            f"{corpus.stack.url('ingest-email')}/v1/messages",
            content=raw,
            headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {integration}"},
        )
    _judge(response)


@MUTATIONS
@given(data=st.data())
def test_mutated_ses_notifications_are_recorded_dead_lettered_or_refused(
    corpus: Corpus, data: st.DataObject
) -> None:
    sample = data.draw(st.sampled_from([s for s in MANIFEST if s["provider"] == "ses"]))
    document = json.loads((CORPUS / sample["file"]).read_text())
    mutated = data.draw(mutated_json(document), label="mutation")
    with httpx.Client(timeout=15) as client:
        _judge(client.post(ses_door(corpus), content=sns_notification(corpus, json.dumps(mutated))))


@on_the_session_loop
async def test_a_call_answered_at_amazon_connect_is_answered_work_on_the_callers_timeline(
    corpus: Corpus,
) -> None:
    """Connect's own agent answers: the task our router queued is answered, not abandoned;
    the contact record, which alone names the caller, moves the call onto their timeline."""
    contact = str(uuid.uuid4())
    caller = f"+1206555{uuid.uuid4().int % 10**4:04d}"
    integration = token(corpus.stack, TENANT, Role.INTEGRATION, subject="connect")
    headers = {"Authorization": f"Bearer {integration}"}
    voice = corpus.stack.url("ingest-voice")
    published = json.loads((CORPUS / "connect" / "connected-to-agent.json").read_text())
    async with httpx.AsyncClient(timeout=10) as client:
        for event_type in ("INITIATED", "QUEUED", "CONNECTED_TO_AGENT", "DISCONNECTED"):
            event = copy.deepcopy(published)
            event["id"] = f"{contact}-{event_type}"
            event["detail"]["contactId"] = contact
            event["detail"]["eventType"] = event_type
            response = await client.post(f"{voice}/v1/connect/events", json=event, headers=headers)
            assert response.status_code == 202, response.text

        async def routing() -> list[str] | None:
            entries = await entries_of(client, corpus, f"anonymous:amazon-connect:{contact}")
            states = [e["kind"] for e in entries or [] if e["entry_type"] == "routing"]
            return states if "task.completed" in states else None

        states = await eventually(routing, what="the task settled")
        assert "task.accepted" in states
        assert "task.abandoned" not in states

        record = json.loads((CORPUS / "connect" / "ctr-voice.json").read_text())
        record["ContactId"] = contact
        record["CustomerEndpoint"]["Address"] = caller
        response = await client.post(
            f"{voice}/v1/connect/trace-records", json=record, headers=headers
        )
        assert response.status_code == 202, response.text

        async def on_callers_timeline() -> dict[str, Any] | None:
            entries = await entries_of(client, corpus, f"phone:{caller}") or []
            calls = [e for e in entries if e["kind"] == "call"]
            return calls[0] if len(calls) == 1 and calls[0]["call"]["recordings"] else None

        call = await eventually(on_callers_timeline, what="the call on the caller's timeline")
        assert call["call"]["disposition"] == "answered"
        entries = await entries_of(client, corpus, f"phone:{caller}") or []
        queued = [e for e in entries if e["kind"] == "task.queued"]
        assert len(queued) == 1, "the contact record opened no second task"


@on_the_session_loop
async def test_a_provider_we_do_not_support_gets_404_with_a_problem_body(corpus: Corpus) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for url in (
            f"{corpus.stack.url('ingest-email')}/v1/providers/sparkpost/{TENANT}",
            f"{corpus.stack.url('ingest-chat')}/v1/viber/{TENANT}/webhook",
            f"{corpus.stack.url('ingest-voice')}/v1/vonage/{TENANT}/voice/answer",
        ):
            response = await client.post(url, json={"event": "message"})
            assert response.status_code == 404, (url, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["status"] == 404


FORM_JUNK = st.sampled_from(["", "0", "-1", "x" * 300, "\x00", "日本語", "+", "NaN", "[]", "{}"])
FORM_DOORS = [s for s in MANIFEST if s["door"] in {"twilio-sms", "twilio-voice", "mailgun"}]


@MUTATIONS
@given(data=st.data())
def test_mutated_provider_forms_are_stored_dead_lettered_or_refused(
    corpus: Corpus, data: st.DataObject
) -> None:
    sample = data.draw(st.sampled_from(FORM_DOORS), label="sample")
    document = json.loads((CORPUS / sample["file"]).read_text())
    fields: dict[str, str] = document["fields"] if sample["door"] == "twilio-voice" else document
    for name in data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=3)):
        if data.draw(st.booleans(), label=f"drop {name}"):
            fields.pop(name, None)
        else:
            fields[name] = data.draw(FORM_JUNK, label=name)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if sample["door"] == "mailgun":
        stamp, nonce = str(int(time.time())), uuid.uuid4().hex
        digest = hmac.new(MAILGUN_KEY.encode(), (stamp + nonce).encode(), hashlib.sha256)
        fields |= {"timestamp": stamp, "token": nonce, "signature": digest.hexdigest()}
        url = f"{corpus.stack.url('ingest-email')}/v1/providers/mailgun/{TENANT}"
    elif sample["door"] == "twilio-sms":
        url = f"{corpus.stack.url('ingest-chat')}/v1/twilio/{TENANT}/sms"
    else:
        url = f"{corpus.stack.url('ingest-voice')}/v1/twilio/{TENANT}/voice/{document['leaf']}"
    if sample["door"] != "mailgun":
        headers["X-Twilio-Signature"] = twilio_signature(TWILIO_TOKEN, url, fields)
    with httpx.Client(timeout=15) as client:
        response = client.post(url, content=urlencode(fields), headers=headers)
    if "xml" in response.headers.get("content-type", ""):
        assert response.status_code == 200, response.text  # TwiML: taken
    else:
        _judge(response)
