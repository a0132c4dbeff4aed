"""The shared outbox across a real process death. With the broker frozen (SIGSTOP), a
note is written with its ``case.changed`` and a received email's index entry with its
interaction; the service is SIGKILLed while it waits for the broker's acknowledgement;
the broker resumes, the service starts again, and its relay publishes the event (nobody
retried the request) and marks it published. The killed process's own produce request,
already in the frozen broker's socket, may land too: the same event id, a repeat the
consumers drop, so the email is on its timeline once."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from cc_common.auth import Role, issue_token
from cc_common.events import CaseChanged, Envelope, Interaction
from cc_common.kafka.inspect import read_events
from cc_common.kafka.producer import EventProducer
from cc_common.mongo import Document
from cc_common.settings import AuthSettings
from cc_common.topics import CASES, INTERACTIONS
from contactcenter_cli.case_client import find_customer
from contactcenter_cli.processes import free_port
from contactcenter_cli.stack import Stack, private_stack
from tests.e2e.helpers import eventually
from tests.integration.case_api import email_identity, message

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

TENANT = "demo"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """Its own broker (frozen by the tests) and database; the case and email services."""
    with private_stack("case", "ingest-email", smtp_port=free_port()) as running:
        yield running


@pytest_asyncio.fixture
async def database(stack: Stack) -> AsyncIterator[AsyncMongoClient[Document]]:
    client = AsyncMongoClient[Document](stack.config.mongo_url, tz_aware=True)
    yield client
    await client.close()


class FrozenBroker:
    """SIGSTOP on entry, SIGCONT on exit: requests in flight wait for an acknowledgement."""

    def __init__(self, stack: Stack) -> None:
        self._pid = stack.broker.pid

    def __enter__(self) -> None:
        os.kill(self._pid, signal.SIGSTOP)

    def __exit__(self, *_: object) -> None:
        os.kill(self._pid, signal.SIGCONT)


async def kill_once_written(
    stack: Stack, service: str, written: Any, request: asyncio.Task[Any]
) -> None:
    """SIGKILL ``service`` as soon as ``written()`` sees its write, the request still
    waiting on the frozen broker; then start the service again."""
    await eventually(written, timeout=20, what=f"{service}'s write")
    assert not request.done(), "the request must still wait for the broker"
    await asyncio.to_thread(stack.services[service].kill)
    request.cancel()
    await asyncio.gather(request, return_exceptions=True)


async def relayed_once(
    stack: Stack,
    topic: str,
    matches: Callable[[Envelope[Any]], bool],
    owner: AsyncCollection[Document],
    query: dict[str, Any],
) -> Envelope[Any]:
    """The event on ``topic``, published by the restarted process's relay: the owing
    document is marked published (only that process can have marked it: the killed one
    died waiting), and further rounds add nothing. Besides the relay's copy there may be
    the dead process's own request, which the frozen broker held: the same event id."""
    kafka = stack.config.kafka_settings()

    async def published() -> list[Envelope[Any]] | None:
        return [e for e in await read_events(kafka, topic) if matches(e)] or None

    event, *_ = await eventually(published, timeout=30, what=f"the event on {topic}")

    async def marked() -> bool:
        stored = await owner.find_one(query)
        return stored is not None and "outbox_pending" not in stored

    await eventually(marked, timeout=15, what="the owing document marked published")
    await asyncio.sleep(3)  # further relay rounds publish nothing again
    copies = await published() or []
    assert {e.id for e in copies} == {event.id}
    assert len(copies) <= 2, "the relay's, and perhaps the dead process's request"
    return event


async def test_a_note_written_before_a_sigkill_is_announced_once_after_restart(
    stack: Stack, database: AsyncMongoClient[Document]
) -> None:
    kafka = stack.config.kafka_settings()
    address = f"{uuid.uuid4().hex[:8]}@example.org"
    producer = EventProducer(kafka)
    await producer.start()
    try:
        await producer.publish(
            INTERACTIONS.name, message(TENANT, f"chat:{address}", [email_identity(address)])
        )
    finally:
        await producer.stop()
    token = issue_token(
        AuthSettings(jwt_secret=stack.config.dev_secret()),
        subject="emi",
        tenant_id=TENANT,
        roles=[Role.SUPERVISOR],
    )
    auth = {"Authorization": f"Bearer {token}"}
    case_url = stack.url("case")
    async with httpx.AsyncClient(timeout=60) as client:

        async def customer() -> dict[str, Any] | None:
            return await find_customer(client, case_url, token, f"email:{address}")

        found = await eventually(customer, timeout=30, what="the customer")
        cases = await client.get(f"{case_url}/v1/customers/{found['id']}/cases", headers=auth)
        case_id = cases.json()[0]["id"]
        text = f"written, then the process died {uuid.uuid4().hex[:6]}"
        timeline = database["cc_case"]["timeline"]

        async def note_written() -> bool:
            return await timeline.find_one({"summary": text, "outbox_pending": True}) is not None

        with FrozenBroker(stack):
            request = asyncio.create_task(
                client.post(
                    f"{case_url}/v1/cases/{case_id}/notes", json={"text": text}, headers=auth
                )
            )
            await kill_once_written(stack, "case", note_written, request)
        await asyncio.to_thread(stack.start_service, "case")
        note = await timeline.find_one({"summary": text})
        assert note is not None

        event = await relayed_once(
            stack,
            CASES.name,
            lambda e: isinstance(e.data, CaseChanged) and e.data.entry_id == note["_id"],
            timeline,
            {"_id": note["_id"]},
        )
        assert (event.data.change, event.data.actor) == ("note", "emi")


async def test_an_email_received_before_a_sigkill_is_published_once_after_restart(
    stack: Stack, database: AsyncMongoClient[Document]
) -> None:
    mail = EmailMessage()
    mail["From"] = "Sam Buyer <sam@example.org>"
    mail["To"] = "support@demo.example"
    mail["Subject"] = "Sent as the service died"
    mail["Message-ID"] = make_msgid(domain="example.org")
    mail.set_content("Where is my order?")
    index = database["cc_email"]["email_messages"]

    async def entry_written() -> bool:
        found = await index.find_one({"message_id": mail["Message-ID"], "outbox_pending": True})
        return found is not None

    with FrozenBroker(stack):
        request = asyncio.create_task(
            aiosmtplib.send(
                mail,
                sender="sam@example.org",
                recipients=["support@demo.example"],
                hostname="127.0.0.1",
                port=stack.config.smtp_port,
                timeout=60,
            )
        )
        await kill_once_written(stack, "ingest-email", entry_written, request)
    await asyncio.to_thread(stack.start_service, "ingest-email")
    event = await relayed_once(
        stack,
        INTERACTIONS.name,
        lambda e: (
            isinstance(e.data, Interaction) and e.data.provider_message_id == mail["Message-ID"]
        ),
        index,
        {"message_id": mail["Message-ID"]},
    )
    assert event.data.content is not None
    assert event.data.content.subject == "Sent as the service died"
    timeline = database["cc_case"]["timeline"]

    async def on_timeline() -> int | None:  # an interaction's entry id is its event id
        return await timeline.count_documents({"_id": str(event.id)}) or None

    assert await eventually(on_timeline, timeout=30, what="the email on a timeline") == 1
