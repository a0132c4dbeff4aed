"""The case consumer's batch recorder against a real MongoDB-protocol server: a batch
written with bulk writes leaves the state the one-contact path leaves, and what the
batch cannot decide goes through the one-contact path in its place."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from pymongo.asynchronous.database import AsyncDatabase

from case_service.adapters.cases import CaseRepository
from case_service.adapters.contact_batches import ContactBatchRepository
from case_service.adapters.customers import CustomerRepository
from case_service.adapters.indexes import INDEXES, RETIRED_INDEXES
from case_service.adapters.memory import RecordedAnnouncements
from case_service.adapters.timeline import TimelineRepository
from case_service.domain.lifecycle import CaseStatus
from case_service.service.contact_batch import ContactBatchRecorder
from case_service.service.contact_recorder import ContactRecorder
from cc_common.events import (
    Channel,
    Envelope,
    IdentityKind,
    RoutingChange,
    TaskState,
    routing_event_type,
)
from cc_common.mongo import Document, ensure_indexes, make_mongo_client
from cc_common.settings import MongoSettings
from tests.integration.case_api import identity, message

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@dataclass
class Desk:
    db: AsyncDatabase[Document]
    batch: ContactBatchRecorder
    announced: RecordedAnnouncements
    customers: CustomerRepository
    cases: CaseRepository
    timeline: TimelineRepository

    async def record(self, *events: Envelope[Any]) -> None:
        await self.batch.record(list(events), {})

    async def entries(self, customer_id: str) -> list[dict[str, Any]]:
        cursor = self.db["timeline"].find({"customer_id": customer_id}).sort("occurred_at", 1)
        return [doc async for doc in cursor]


@pytest_asyncio.fixture(loop_scope="session")
async def desk(mongo_settings: MongoSettings, unique: str) -> AsyncIterator[Desk]:
    client = make_mongo_client(mongo_settings, app_name="contact-batches-test")
    db = client[f"batches{unique}"]
    await ensure_indexes(db, INDEXES, RETIRED_INDEXES)
    customers, cases, timeline = CustomerRepository(db), CaseRepository(db), TimelineRepository(db)
    announced = RecordedAnnouncements()
    single = ContactRecorder(
        customers=customers, cases=cases, timeline=timeline, announcements=announced
    )
    batch = ContactBatchRecorder(
        recorder=single, batches=ContactBatchRepository(db), announcements=announced
    )
    try:
        yield Desk(db, batch, announced, customers, cases, timeline)
    finally:
        await client.drop_database(db.name)
        await client.close()


def _line(user: str) -> list[Any]:
    return [identity(IdentityKind.LINE_USER_ID, user)]


def _routing(interaction: Envelope[Any], at: datetime, state: TaskState) -> Envelope[Any]:
    return Envelope[RoutingChange](
        id=uuid.uuid4(),
        type=routing_event_type(state),
        tenant_id="acme",
        occurred_at=at,
        source="test",
        data=RoutingChange(
            task_id=uuid.uuid4(),
            interaction_id=interaction.id,
            conversation_key=interaction.data.conversation_key,
            channel=Channel.LINE,
            state=state,
            queue="support",
        ),
    )


async def test_one_batch_creates_the_customer_once_and_keeps_each_conversations_case(
    desk: Desk,
) -> None:
    user = f"U{uuid.uuid4().hex}"
    first = message("acme", f"line:{user}", _line(user), channel=Channel.LINE, at=T0, name="Ana")
    second = message(
        "acme", f"line:{user}", _line(user), channel=Channel.LINE, at=T0 + timedelta(seconds=5)
    )
    other = message(
        "acme", f"line:{user}:2", _line(user), channel=Channel.LINE, at=T0 + timedelta(seconds=6)
    )
    # The router's change for the second message arrives before it (another topic).
    queued = _routing(second, T0 + timedelta(seconds=5, milliseconds=1), TaskState.QUEUED)
    await desk.record(first, queued, second, second, other)  # the second one resent

    customer_id = await desk.customers.find_by_identity(f"acme|line_user_id|{user}", "acme")
    assert customer_id is not None
    customer = await desk.customers.get("acme", customer_id)
    assert customer is not None
    assert customer.display_name == "Ana"
    entries = await desk.entries(customer_id)
    assert [e["_id"] for e in entries] == [
        str(first.id),
        str(second.id),
        str(queued.id),
        str(other.id),
    ]
    assert {e["customer_id"] for e in entries} == {customer_id}
    case = await desk.cases.of_conversation("acme", f"line:{user}")
    other_case = await desk.cases.of_conversation("acme", f"line:{user}:2")
    assert case is not None
    assert other_case is not None
    assert case.id != other_case.id
    assert entries[2]["case_id"] == case.id  # the early routing change was adopted
    assert case.last_activity_at == T0 + timedelta(seconds=5)
    assert case.last_inbound_at == T0 + timedelta(seconds=5)
    assert case.reply_to is not None
    assert [change[0] for change in desk.announced.changes[-3:]] == [
        case.id,
        case.id,
        other_case.id,
    ]


async def test_a_replayed_batch_changes_nothing_and_a_solved_case_is_reopened_once(
    desk: Desk,
) -> None:
    user = f"U{uuid.uuid4().hex}"
    first = message("acme", f"line:{user}", _line(user), channel=Channel.LINE, at=T0)
    await desk.record(first)
    case = await desk.cases.of_conversation("acme", f"line:{user}")
    assert case is not None
    await desk.cases.update(
        "acme", case.id, expected_version=None, fields={"status": "solved", "solved_at": T0}
    )
    again = message(
        "acme", f"line:{user}", _line(user), channel=Channel.LINE, at=T0 + timedelta(hours=1)
    )
    await desk.record(first, again)  # the first is a replay: it goes alone, unchanged
    await desk.record(first, again)

    reopened = await desk.cases.get("acme", case.id)
    assert reopened is not None
    assert (reopened.status, reopened.reopen_count) == (CaseStatus.OPEN, 1)
    assert reopened.customer_returns == 1
    customer_id = reopened.customer_id
    kinds = [e["kind"] for e in await desk.entries(customer_id)]
    assert kinds.count("message") == 2
    assert kinds.count("case.reopen") == 1


async def test_a_rename_goes_alone_in_its_place_and_a_known_customer_keeps_its_id(
    desk: Desk,
) -> None:
    user = f"U{uuid.uuid4().hex}"
    await desk.record(
        message("acme", f"line:{user}", _line(user), channel=Channel.LINE, at=T0, name="Ana")
    )
    customer_id = await desk.customers.find_by_identity(f"acme|line_user_id|{user}", "acme")
    renamed = message(
        "acme",
        f"line:{user}",
        _line(user),
        channel=Channel.LINE,
        at=T0 + timedelta(minutes=1),
        name="Ana Sato",
    )
    after = message(
        "acme", f"line:{user}", _line(user), channel=Channel.LINE, at=T0 + timedelta(minutes=2)
    )
    traces: dict[str, str | None] = {str(renamed.id): "a" * 32, str(after.id): "b" * 32}
    await desk.batch.record([renamed, after], traces)

    customer = await desk.customers.get("acme", customer_id or "")
    assert customer is not None
    assert customer.display_name == "Ana Sato"
    stored = (await desk.entries(customer.id))[-2:]
    assert [e["_id"] for e in stored] == [str(renamed.id), str(after.id)]
    # Each keeps its own trace, the one that went alone too.
    assert [e["trace_id"] for e in stored] == ["a" * 32, "b" * 32]
