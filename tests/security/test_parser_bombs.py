"""Parser bombs (issue "Nothing forged", finding 3): mail built to exhaust the MIME
parser is refused for good with the limit named (413 on upload, 552 over SMTP, so a
sender does not retry it for days), and a large legitimate message is parsed off the
event loop, so the service keeps answering while it reads."""

from __future__ import annotations

import asyncio
import time

import aiosmtplib
import httpx
import pytest

from cc_common.auth import Role, issue_token
from ingest_email.domain.mime import MAX_MULTIPARTS, MAX_PARTS
from tests.integration.test_email_intake import Email

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

HEAD = b"From: a@example.org\r\nTo: support@acme.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
TEXT = b"Content-Type: text/plain\r\n\r\nhello\r\n"


def nested(depth: int) -> bytes:
    """``depth`` multiparts, each holding the next (invented: the attack's shape)."""
    body = TEXT
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\n"
            + body
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    return HEAD + body


def wide(parts: int) -> bytes:
    """One multipart with ``parts`` text parts (invented: the attack's shape)."""
    head = HEAD + b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
    return head + b"--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n" * parts + b"--XX--\r\n"


async def upload(email: Email, raw: bytes) -> httpx.Response:
    token = issue_token(
        email.settings.auth, subject="tool", tenant_id="acme", roles=[Role.INTEGRATION]
    )
    transport = httpx.ASGITransport(app=email.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://email") as client:
        return await client.post(
            "/v1/messages",
            content=raw,
            headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {token}"},
            timeout=60,
        )


async def smtp(email: Email, raw: bytes) -> tuple[int, str]:
    try:
        _, answer = await aiosmtplib.send(
            raw,
            sender="a@example.org",
            recipients=["support@acme.example"],
            hostname="127.0.0.1",
            port=email.settings.smtp_port,
        )
    except aiosmtplib.SMTPResponseException as refused:
        return refused.code, refused.message
    return 250, answer


@pytest.mark.parametrize(
    ("raw", "limit"),
    [
        (nested(2000), f"more than {MAX_PARTS} MIME parts"),
        (nested(MAX_MULTIPARTS + 1), f"more than {MAX_MULTIPARTS} multipart containers"),
        (wide(10_000), f"more than {MAX_PARTS} MIME parts"),
    ],
    ids=["2000-nested", "just-too-deep", "10000-parts"],
)
async def test_a_parser_bomb_is_refused_for_good_with_the_limit_named(
    email: Email, raw: bytes, limit: str
) -> None:
    response = await upload(email, raw)
    assert response.status_code == 413, response.text
    assert limit in response.json()["detail"]
    code, message = await smtp(email, raw)
    assert code == 552
    assert limit in message


async def test_the_deepest_and_widest_allowed_messages_are_accepted(email: Email) -> None:
    assert (await upload(email, nested(MAX_MULTIPARTS))).status_code == 202
    assert (await upload(email, wide(MAX_PARTS - 2))).status_code == 202


async def test_a_large_message_is_parsed_off_the_event_loop(email: Email) -> None:
    """While the largest allowed message is read, the loop still runs its other work:
    its longest stall is a fraction of the time the request takes."""
    stalls: list[float] = []
    done = asyncio.Event()

    async def heartbeat() -> None:
        while not done.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            stalls.append(time.perf_counter() - before)

    beating = asyncio.create_task(heartbeat())
    started = time.perf_counter()
    response = await upload(email, wide(MAX_PARTS - 2))
    took = time.perf_counter() - started
    done.set()
    await beating
    assert response.status_code == 202, response.text
    assert max(stalls) < took / 2, f"the loop stalled {max(stalls):.3f}s of a {took:.3f}s request"
