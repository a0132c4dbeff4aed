"""Hostile HTTP against all five services as real processes: oversized bodies, clients
that trickle bytes, forged signatures, a flood from one source. Each test shows the
attack refused with a precise answer while everyone else is still served."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from cc_common.auth import Role
from cc_common.signatures import twilio_signature
from contactcenter_cli.chaos_load import LINE_SECRET, TENANT, TWILIO_TOKEN, stack_env
from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack, token

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

PRINCIPAL_RATE = 5
PRINCIPAL_BURST = 20
LARGEST_CAP = 25 * 1024 * 1024  # the email upload's; every other route's is smaller

# One route per service that takes a body (the cap applies before authentication).
BODY_ROUTES = {
    "ingest-chat": ("POST", f"/v1/line/{TENANT}/webhook", "application/json"),
    "ingest-email": ("POST", "/v1/messages", "message/rfc822"),
    "ingest-voice": (
        "POST",
        f"/v1/twilio/{TENANT}/voice/status",
        "application/x-www-form-urlencoded",
    ),
    "router": ("PUT", "/v1/agents/hostile", "application/json"),
    "case": ("POST", f"/v1/cases/{uuid.uuid4()}/notes", "application/json"),
}


@pytest.fixture(scope="module")
def hostile_stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    env = {
        **stack_env(),
        "CC_AUTH_PRINCIPAL_REQUESTS_PER_SECOND": str(PRINCIPAL_RATE),
        "CC_AUTH_PRINCIPAL_BURST": str(PRINCIPAL_BURST),
    }
    with running_stack(infra, tmp_path_factory.mktemp("hostile"), extra_env=env) as running:
        yield running


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    return body


async def raw_status(url: str, head: bytes) -> int:
    """Send ``head`` on a fresh connection and return the status the server answers."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        writer.write(head)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        return int(line.split()[1])
    finally:
        writer.close()


async def test_oversized_bodies_are_refused_declared_or_streamed_by_every_service(
    hostile_stack: Stack,
) -> None:
    everything = {"Authorization": f"Bearer {token(hostile_stack, TENANT, *Role)}"}
    async with httpx.AsyncClient(timeout=30) as client:
        for service, (method, path, media_type) in BODY_ROUTES.items():
            url = hostile_stack.url(service) + path
            declared = (
                f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: {media_type}\r\nContent-Length: {LARGEST_CAP * 2}\r\n\r\n"
            ).encode()
            assert await raw_status(url, declared) == 413, service

            async def streamed() -> AsyncIterator[bytes]:
                chunk = b"x" * (1024 * 1024)
                for _ in range(LARGEST_CAP // len(chunk) + 2):
                    yield chunk

            # Authenticated, so the body is read rather than refused unread with 401.
            response = await client.request(
                method,
                url,
                content=streamed(),
                headers={"Content-Type": media_type, **everything},
            )
            assert_problem(response, 413)
            assert (await client.get(hostile_stack.url(service) + "/readyz")).status_code == 200


async def test_clients_trickling_bytes_do_not_hold_up_anyone_else(hostile_stack: Stack) -> None:
    """Sixty connections per service send their headers or body a byte at a time while
    ordinary requests to every service are answered promptly."""
    writers: list[asyncio.StreamWriter] = []
    for service, (method, path, media_type) in BODY_ROUTES.items():
        port = urlsplit(hostile_stack.url(service)).port
        for n in range(60):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            if n % 2:
                writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode())
            else:
                writer.write(
                    f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    f"Content-Type: {media_type}\r\nContent-Length: 50000\r\n\r\n{{".encode()
                )
            writers.append(writer)

    stop = asyncio.Event()

    async def trickle() -> None:
        while not stop.is_set():
            for writer in writers:
                if not writer.is_closing():
                    writer.write(b"a")
            await asyncio.sleep(0.25)

    dripping = asyncio.create_task(trickle())
    supervisor = {"Authorization": f"Bearer {token(hostile_stack, TENANT, Role.SUPERVISOR)}"}
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            for _ in range(3):
                for service in BODY_ROUTES:
                    started = time.perf_counter()
                    ready = await client.get(hostile_stack.url(service) + "/readyz")
                    assert ready.status_code == 200, service
                    assert time.perf_counter() - started < 2.0, f"{service} held up"
                started = time.perf_counter()
                queues = await client.get(
                    hostile_stack.url("router") + "/v1/queues", headers=supervisor
                )
                customers = await client.get(
                    hostile_stack.url("case") + "/v1/customers",
                    params={"identity": "email:nobody@example.com"},
                    headers=supervisor,
                )
                assert (queues.status_code, customers.status_code) == (200, 200)
                assert time.perf_counter() - started < 2.0
                await asyncio.sleep(0.5)
    finally:
        stop.set()
        await dripping
        for writer in writers:
            writer.close()


def signature_failures(metrics: str) -> float:
    return sum(
        float(value)
        for value in re.findall(r"^cc_signature_failures_total\{[^}]*\} (\S+)$", metrics, re.M)
    )


def line_request(text: str) -> tuple[bytes, str]:
    event = {
        "type": "message",
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": "U" + uuid.uuid4().hex},
        "webhookEventId": uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": uuid.uuid4().hex,
        "message": {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": text},
    }
    body = json.dumps({"destination": "U0", "events": [event]}).encode()
    digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
    return body, base64.b64encode(digest).decode()


async def test_forged_signatures_are_refused_counted_and_the_provider_still_served(
    hostile_stack: Stack,
) -> None:
    chat, voice = hostile_stack.url("ingest-chat"), hostile_stack.url("ingest-voice")
    line_url = f"{chat}/v1/line/{TENANT}/webhook"
    voice_url = f"{voice}/v1/twilio/{TENANT}/voice/status"
    call = {"AccountSid": "AC" + "0" * 32, "CallSid": "CA" + uuid.uuid4().hex}
    async with httpx.AsyncClient(timeout=30) as client:
        before = {
            url: signature_failures((await client.get(f"{url}/metrics")).text)
            for url in (chat, voice)
        }
        body, good = line_request("hello")

        async def forged(n: int) -> httpx.Response:
            if n % 2:
                return await client.post(
                    line_url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Line-Signature": "AAAA" + good},
                )
            return await client.post(
                voice_url,
                content=urlencode(call),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": twilio_signature("wrong-token", voice_url, call),
                },
            )

        # A flood of forgeries from one source, and the real provider in the middle of it.
        flood = [asyncio.create_task(forged(n)) for n in range(300)]
        genuine_body, genuine = line_request("the real one")
        real = await client.post(
            line_url,
            content=genuine_body,
            headers={"Content-Type": "application/json", "X-Line-Signature": genuine},
        )
        signed_call = {**call, "CallStatus": "completed"}
        real_call = await client.post(
            voice_url,
            content=urlencode(signed_call),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, voice_url, signed_call),
            },
        )
        refused = await asyncio.gather(*flood)
        assert real.status_code == 200, real.text
        assert real_call.status_code == 204, real_call.text
        for response in refused:
            assert_problem(response, 401)
        for url, count in before.items():
            after = signature_failures((await client.get(f"{url}/metrics")).text)
            assert after - count == 150, url


async def test_a_flood_from_one_caller_is_limited_while_colleagues_are_served(
    hostile_stack: Stack,
) -> None:
    flooder = {"Authorization": f"Bearer {token(hostile_stack, TENANT, Role.AGENT, subject='bot')}"}
    colleague = {
        "Authorization": f"Bearer {token(hostile_stack, TENANT, Role.AGENT, subject='kim')}"
    }
    url = hostile_stack.url("case") + "/v1/customers"
    params = {"identity": "email:nobody@example.com"}
    async with httpx.AsyncClient(timeout=30) as client:
        flood = [
            asyncio.create_task(client.get(url, params=params, headers=flooder)) for _ in range(120)
        ]
        mine = [await client.get(url, params=params, headers=colleague) for _ in range(10)]
        answers = await asyncio.gather(*flood)

        assert [r.status_code for r in mine] == [200] * 10
        statuses = [r.status_code for r in answers]
        assert set(statuses) == {200, 429}
        assert PRINCIPAL_BURST <= statuses.count(200) < PRINCIPAL_BURST + 20
        limited = next(r for r in answers if r.status_code == 429)
        assert_problem(limited, 429)
        assert 1 <= int(limited.headers["Retry-After"]) <= 1 / PRINCIPAL_RATE + 1

        await asyncio.sleep(1 / PRINCIPAL_RATE + 0.5)
        again = await client.get(url, params=params, headers=flooder)
        assert again.status_code == 200, "the caller is served again once it slows down"
