"""The case service's MongoDB adapters against a real MongoDB-protocol server: they
keep what the use cases rely on (the in-memory ports in adapters/memory.py copy it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from case_service.adapters.case_moves import CaseMoveStore
from case_service.adapters.cases import CaseRepository
from case_service.adapters.timeline import TimelineRepository
from case_service.domain.errors import StaleVersion
from case_service.domain.lifecycle import CaseStatus
from case_service.domain.model import Case
from cc_common.mongo import make_mongo_client
from cc_common.settings import MongoSettings

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="session")]

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def new_case(case_id: str, **fields: object) -> Case:
    return Case.model_validate(
        {
            "id": case_id,
            "tenant_id": "acme",
            "customer_id": "cust-1",
            "channel": "line",
            "conversation_key": f"line:{case_id}",
            "subject": "Refund for order 12",
            "opened_at": T0,
            "last_activity_at": T0,
            **fields,
        }
    )


@pytest_asyncio.fixture(loop_scope="session")
async def stores(
    mongo_settings: MongoSettings, unique: str
) -> AsyncIterator[tuple[CaseRepository, TimelineRepository, CaseMoveStore]]:
    client = make_mongo_client(mongo_settings, app_name="case-adapters-test")
    db = client[f"caseadapters{unique}"]
    try:
        yield CaseRepository(db), TimelineRepository(db), CaseMoveStore(db)
    finally:
        await client.close()


async def test_a_case_is_stored_once_and_read_back_as_it_was(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    cases, _, _ = stores
    case = new_case("c1")
    await cases.create(case)
    await cases.create(case.model_copy(update={"subject": "replayed"}))
    await cases.point_conversation("acme", "line:c1", "c1")
    assert await cases.get("acme", "c1") == case
    assert await cases.of_conversation("acme", "line:c1") == case
    assert await cases.get("other-tenant", "c1") is None


async def test_an_edit_at_an_old_version_is_refused_and_one_at_the_current_applies(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    cases, _, _ = stores
    await cases.create(new_case("c2"))
    edited = await cases.update(
        "acme", "c2", expected_version=1, fields={"status": "pending", "tags": ["vip"]}
    )
    assert edited is not None
    assert (edited.status, edited.tags, edited.version) == (CaseStatus.PENDING, ["vip"], 2)
    with pytest.raises(StaleVersion):
        await cases.update("acme", "c2", expected_version=1, fields={"status": "open"})
    assert await cases.update("acme", "nope", expected_version=None, fields={}) is None


async def test_the_first_agent_reply_is_timed_once_and_opens_a_new_case(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    cases, _, _ = stores
    await cases.create(new_case("c3"))
    stored = await cases.get("acme", "c3")
    assert stored is not None
    await cases.note_agent_reply(stored, T0 + timedelta(minutes=5))
    later = await cases.get("acme", "c3")
    assert later is not None
    await cases.note_agent_reply(later, T0 + timedelta(minutes=9))
    final = await cases.get("acme", "c3")
    assert final is not None
    assert final.first_response_at == T0 + timedelta(minutes=5)
    assert final.status is CaseStatus.OPEN


async def test_an_older_inbound_message_does_not_move_the_reply_address_back(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    cases, _, _ = stores
    await cases.create(new_case("c4"))
    newer = {"kind": "line_user_id", "value": "U2"}
    await cases.note_inbound("c4", reply_to=newer, message_id="m2", at=T0 + timedelta(hours=1))
    await cases.note_inbound("c4", reply_to={"kind": "x", "value": "old"}, message_id="m1", at=T0)
    case = await cases.get("acme", "c4")
    assert case is not None
    assert (case.reply_to, case.last_inbound_message_id) == (newer, "m2")
    assert await cases.latest_reachable("acme", "cust-1", "line") == case


async def test_a_split_moves_the_named_entries_and_a_merge_closes_the_source(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    cases, timeline, moves = stores
    await cases.create(new_case("c5"))
    await cases.point_conversation("acme", "line:c5", "c5")
    for n in range(3):
        await timeline.add(
            {
                "_id": f"e{n}",
                "tenant_id": "acme",
                "customer_id": "cust-1",
                "case_id": "c5",
                "entry_type": "interaction",
                "kind": "message",
                "channel": "line",
                "conversation_key": "line:c5",
                "occurred_at": T0 + timedelta(minutes=n),
            }
        )
    found = await moves.moving_entries("acme", "c5", ["e1", "e2", "elsewhere"])
    assert sorted(e.occurred_at for e in found) == [
        T0 + timedelta(minutes=1),
        T0 + timedelta(minutes=2),
    ]
    await moves.insert(new_case("c6", split_from="c5"))
    await moves.move_entries("acme", "c5", "c6", ["e1", "e2"])
    page = await timeline.page(tenant_id="acme", case_id="c6", limit=10, after=None)
    assert [e.id for e in page] == ["e2", "e1"]

    await moves.close_merged("acme", "c5", "c6", T0 + timedelta(hours=1))
    merged = await cases.get("acme", "c5")
    assert merged is not None
    assert (merged.status, merged.merged_into, merged.version) == (CaseStatus.CLOSED, "c6", 2)
    assert (await cases.of_conversation("acme", "line:c5")) == await cases.get("acme", "c6")
