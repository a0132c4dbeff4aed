"""What every service's HTTP edge promises: problem bodies, caps, probes, and 503 (never
a false 2xx) when the broker is gone. Runs ingest-chat in-process on a private broker."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from cc_common.kafka.inspect import read_events
from cc_common.settings import KafkaSettings, MongoSettings
from cc_common.signatures import twilio_signature
from cc_common.topics import INTERACTIONS
from contactcenter_cli.processes import ManagedProcess
from ingest_chat.main import create_app
from ingest_chat.settings import ChatSettings, TwilioSms
from tests.e2e.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]


SMS_TOKEN = "twilio-sms-auth-token-0123456789"


@pytest_asyncio.fixture
async def chat(
    private_broker: tuple[ManagedProcess, KafkaSettings],
    mongo_settings: MongoSettings,
    unique: str,
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ChatSettings(
        kafka=private_broker[1],
        mongo=mongo_settings,
        database=f"chat{unique}",
        max_body_bytes=4096,
        max_upload_bytes=2048,
        twilio_sms={"acme": TwilioSms(auth_tokens=[SMS_TOKEN])},
        webchat_open=True,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://chat") as client:
            yield client


async def start(client: httpx.AsyncClient) -> str:
    response = await client.post("/v1/webchat/conversations", json={"tenant_id": "acme"})
    assert response.status_code == 201
    token: str = response.json()["token"]
    return token


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert str(body["type"]).startswith("https://")
    assert "Traceback" not in response.text
    return body


async def test_probes_and_metrics(chat: httpx.AsyncClient) -> None:
    assert (await chat.get("/healthz")).json() == {"status": "ok"}

    async def ready() -> httpx.Response | None:
        response = await chat.get("/readyz")
        return response if response.status_code == 200 else None

    checks = (await eventually(ready, timeout=30, what="readiness")).json()["checks"]
    assert all(checks.values())
    live = [name for name in checks if name.startswith("consumer:ingest-chat-outbound-live-")]
    assert len(live) == 1, "the per-process fan-out group of cc.signals.v1"
    assert set(checks) - set(live) == {"kafka", "mongodb", "consumer:ingest-chat-outbound"}
    await start(chat)
    metrics = (await chat.get("/metrics")).text
    assert (
        'cc_http_requests_total{method="POST",route="/v1/webchat/conversations",status="201"}'
        in (metrics)
    )


async def test_bad_requests_get_precise_problem_bodies(chat: httpx.AsyncClient) -> None:
    token = await start(chat)
    auth = {"Authorization": f"Bearer {token}"}

    body = assert_problem(
        await chat.post("/v1/webchat/messages", json={"client_message_id": "m1"}, headers=auth),
        422,
    )
    assert body["errors"] == [{"loc": ["body", "text"], "msg": "Field required", "type": "missing"}]
    assert_problem(
        await chat.post(
            "/v1/webchat/messages",
            content=b"{broken",
            headers={**auth, "Content-Type": "application/json"},
        ),
        422,
    )
    assert_problem(
        await chat.post("/v1/webchat/messages", json={"client_message_id": "m", "text": "x"}), 401
    )
    assert_problem(
        await chat.post("/v1/webchat/conversations", json={"tenant_id": "Not A Slug"}), 422
    )
    assert_problem(await chat.get("/v1/nothing-here"), 404)


async def test_oversized_bodies_are_refused_declared_or_streamed(chat: httpx.AsyncClient) -> None:
    token = await start(chat)
    auth = {"Authorization": f"Bearer {token}"}
    big = {"client_message_id": "m1", "text": "x" * 8000}
    assert_problem(await chat.post("/v1/webchat/messages", json=big, headers=auth), 413)

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 1000

    streamed = await chat.post(
        "/v1/webchat/messages",
        content=trickle(),
        headers={**auth, "Content-Type": "application/json"},
    )
    assert_problem(streamed, 413)


async def test_no_2xx_when_the_broker_is_down(
    chat: httpx.AsyncClient, private_broker: tuple[ManagedProcess, KafkaSettings]
) -> None:
    token = await start(chat)
    auth = {"Authorization": f"Bearer {token}"}
    message = {"client_message_id": "m1", "text": "hello"}
    assert (await chat.post("/v1/webchat/messages", json=message, headers=auth)).status_code == 202

    private_broker[0].kill()
    response = await chat.post("/v1/webchat/messages", json=message, headers=auth)
    body = assert_problem(response, 503)
    assert response.headers["retry-after"] == "5"
    assert body["type"] == "https://contactcenter.dev/problems/broker-unavailable"
    asked = time.monotonic()
    ready = await chat.get("/readyz")
    assert time.monotonic() - asked < 1.0, "readiness must not hang on a dead broker"
    assert ready.status_code == 503
    assert ready.json()["checks"]["kafka"] is False


async def test_the_index_job_creates_the_declared_indexes(
    mongo_settings: object, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pymongo import AsyncMongoClient

    from case_service.adapters.indexes import INDEXES
    from case_service.indexes import create
    from cc_common.settings import MongoSettings

    assert isinstance(mongo_settings, MongoSettings)
    monkeypatch.setenv("CC_MONGO_URL", mongo_settings.url.get_secret_value())
    monkeypatch.setenv("CASE_DATABASE", f"idx{unique}")
    await create()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongo_settings.url.get_secret_value()
    )
    try:
        db = client[f"idx{unique}"]
        for spec in INDEXES:
            names = [index["name"] async for index in await db[spec.collection].list_indexes()]
            assert spec.name in names, (spec.collection, spec.name)
    finally:
        await client.close()


async def test_visitor_files_are_stored_by_reference_and_capped(
    chat: httpx.AsyncClient, private_broker: tuple[ManagedProcess, KafkaSettings]
) -> None:
    token = await start(chat)
    auth = {"Authorization": f"Bearer {token}"}
    photo = bytes(range(250)) * 8  # 2,000 bytes, under the 2,048-byte limit
    accepted = await chat.post(
        "/v1/webchat/files",
        data={"client_message_id": "f1"},
        files={"file": ("broken.jpg", photo, "image/jpeg")},
        headers=auth,
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["size"] == len(photo)
    events = await read_events(private_broker[1], INTERACTIONS.name)
    (event,) = [e for e in events if str(e.id) == body["event_id"]]
    assert event.data.content.text == "[file] broken.jpg"
    (attachment,) = event.data.content.attachments
    assert (attachment.blob_id, attachment.content_type) == (body["blob_id"], "image/jpeg")
    assert len(event.model_dump_json()) < len(photo)  # by reference
    too_big = await chat.post(
        "/v1/webchat/files",
        data={"client_message_id": "f2"},
        files={"file": ("big.bin", b"x" * 3000, "application/octet-stream")},
        headers=auth,
    )
    assert_problem(too_big, 413)
    assert_problem(await chat.post("/v1/webchat/files", headers=auth), 422)


async def test_twilio_sms_is_published_only_when_signed(
    chat: httpx.AsyncClient, private_broker: tuple[ManagedProcess, KafkaSettings]
) -> None:
    form = {
        "MessageSid": "SM" + "1" * 32,
        "From": "+819012345678",
        "To": "+81312345678",
        "Body": "予約の変更",
    }
    url = "http://chat/v1/twilio/acme/sms"
    forged = await chat.post(url, data=form, headers={"X-Twilio-Signature": "AAAA"})
    assert_problem(forged, 401)
    signed = await chat.post(
        url, data=form, headers={"X-Twilio-Signature": twilio_signature(SMS_TOKEN, url, form)}
    )
    assert signed.status_code == 200, signed.text
    events = await read_events(private_broker[1], INTERACTIONS.name)
    (event,) = [e for e in events if e.data.provider_message_id == form["MessageSid"]]
    assert event.data.content.text == "予約の変更"
