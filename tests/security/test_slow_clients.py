"""Slow and greedy clients (issue "Nothing forged", finding 6): headers sent a line
every half second held a socket for as long as the client liked, and one address could
open every socket. Now headers get 408 past their deadline, and one address holds a
bounded number of connections (the services run uvicorn with ``GuardedHttp``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from contactcenter_cli.stack import Stack, StackConfig
from tests.e2e.conftest import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

HEADER_TIMEOUT = 2
PER_ADDRESS = 20


@pytest.fixture(scope="module")
def guarded_stack(infra: StackConfig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    limits = {
        "CC_HTTP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "CC_HTTP_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
    }
    with running_stack(infra, tmp_path_factory.mktemp("slow"), extra_env=limits) as stack:
        yield stack


def address(stack: Stack) -> tuple[str, int]:
    parts = urlsplit(stack.url("ingest-chat"))
    return parts.hostname or "127.0.0.1", parts.port or 80


async def test_headers_trickling_past_the_deadline_get_408(guarded_stack: Stack) -> None:
    reader, writer = await asyncio.open_connection(*address(guarded_stack))
    started = time.monotonic()
    writer.write(b"POST /v1/webchat/conversations HTTP/1.1\r\nHost: chat\r\n")
    answer = b""
    try:
        async with asyncio.timeout(HEADER_TIMEOUT * 4):
            for n in range(100):
                writer.write(f"X-Slow-{n}: a\r\n".encode())
                await writer.drain()
                try:
                    async with asyncio.timeout(0.5):
                        answer += await reader.read(1024)
                except TimeoutError:
                    continue
                if answer or reader.at_eof():
                    break
    except ConnectionError:
        pass
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < HEADER_TIMEOUT + 2


async def test_one_address_cannot_take_every_connection(guarded_stack: Stack) -> None:
    opened = [await asyncio.open_connection(*address(guarded_stack)) for _ in range(PER_ADDRESS)]
    try:
        reader, writer = await asyncio.open_connection(*address(guarded_stack))
        async with asyncio.timeout(5):
            assert await reader.read(100) == b""  # closed by the server at once
        writer.close()
    finally:
        for _, held in opened:
            held.close()
    await asyncio.sleep(0.5)
    async with httpx.AsyncClient(timeout=5) as client:  # served again once they are gone
        assert (await client.get(f"{guarded_stack.url('ingest-chat')}/healthz")).status_code == 200
