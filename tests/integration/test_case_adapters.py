"""The case service's MongoDB adapters against a real MongoDB-protocol server: they
keep what the use cases rely on (the in-memory ports in adapters/memory.py copy it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio

from case_service.adapters.case_moves import CaseMoveStore
from case_service.adapters.cases import CaseRepository
from case_service.adapters.indexes import INDEXES, RETIRED_INDEXES
from case_service.adapters.search import SearchRepository, rarest_looking
from case_service.adapters.timeline import TimelineRepository
from case_service.api.paging import timeline_page
from case_service.domain.errors import StaleVersion
from case_service.domain.lifecycle import CaseStatus
from case_service.domain.model import Case
from case_service.domain.search import query_grams, searchable
from case_service.domain.timeline import encode_cursor
from cc_common.mongo import ensure_indexes, make_mongo_client
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


def _entry(n: int, at: datetime, *, order: int = 0, channel: str = "line") -> dict[str, object]:
    return {
        "_id": f"p{n:04d}",
        "tenant_id": "acme",
        "customer_id": "cust-pages",
        "case_id": "case-pages" if n % 3 else "case-other",
        "entry_type": "interaction",
        "kind": "message",
        "channel": channel,
        "conversation_key": "line:pages",
        "occurred_at": at,
        "order": order,
    }


async def _walk(timeline: TimelineRepository, limit: int, **scope: str | None) -> list[str]:
    """Every entry id, page by page through the cursors the API hands out."""
    seen: list[str] = []
    cursor = None
    while True:
        page = await timeline_page(timeline, tenant_id="acme", limit=limit, cursor=cursor, **scope)
        seen += [item.id for item in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return seen


async def test_timeline_pages_walk_every_entry_once_newest_first_however_time_is_spread(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    """Pages read time windows walked backwards: bursts in one instant, milliseconds
    apart, days apart, before the windows' floor and in the future all come back in
    order, none twice, none skipped, whatever the window hint in the cursor."""
    _, timeline, _ = stores
    now = datetime.now(UTC).replace(microsecond=0)
    times = (
        [now + timedelta(days=2)] * 2  # a clock ahead of ours
        + [now - timedelta(minutes=1)] * 23  # one instant, ties broken by order and id
        + [now - timedelta(minutes=2, milliseconds=n) for n in range(60)]
        + [now - timedelta(days=3 * n + 1) for n in range(40)]
        + [datetime(1985, 5, 1, tzinfo=UTC) - timedelta(days=n) for n in range(3)]
    )
    entries = [
        _entry(n, at, order=-1 if n % 7 == 0 else 0, channel="email" if n % 5 == 0 else "line")
        for n, at in enumerate(times)
    ]
    for entry in entries:
        await timeline.add(entry)

    def newest_first(chosen: list[dict[str, object]]) -> list[str]:
        ordered = sorted(chosen, key=lambda e: (e["occurred_at"], e["order"], e["_id"]))
        return [str(e["_id"]) for e in reversed(ordered)]

    everything = newest_first(entries)
    for limit in (1, 7, 50, 200):
        assert await _walk(timeline, limit, customer_id="cust-pages") == everything
    # The customer's last contact and pace steer where a first page looks, never what
    # it finds (here: a pace far too slow, and entries newer than the last contact).
    await timeline._customers.insert_one(
        {
            "_id": "cust-pages",
            "tenant_id": "acme",
            "created_at": now - timedelta(days=900),
            "last_seen_at": now - timedelta(minutes=2),
            "contacts": 2,
        }
    )
    for limit in (1, 7, 50):
        assert await _walk(timeline, limit, customer_id="cust-pages") == everything
    assert await _walk(timeline, 9, case_id="case-pages") == newest_first(
        [e for e in entries if e["case_id"] == "case-pages"]
    )
    assert await _walk(timeline, 4, customer_id="cust-pages", channel="email") == newest_first(
        [e for e in entries if e["channel"] == "email"]
    )
    # A hint far off in either direction changes the cost, never the answer.
    start = everything[9]
    position = next(e for e in entries if e["_id"] == start)
    for hint in (1, 10**12):
        cursor = encode_cursor(
            (position["occurred_at"], position["order"], start),  # type: ignore[arg-type]
            window_ms=hint,
        )
        page = await timeline_page(
            timeline, tenant_id="acme", limit=30, cursor=cursor, customer_id="cust-pages"
        )
        assert [item.id for item in page.items] == everything[10:40]


async def test_a_window_boundary_on_an_entry_loses_nothing(
    stores: tuple[CaseRepository, TimelineRepository, CaseMoveStore],
) -> None:
    """Entries a millisecond apart, read with hints that put every window's edge on an
    entry: each edge entry comes back once (SecantusDB reads $gte there as $gt)."""
    _, timeline, _ = stores
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    entries = [
        {**_entry(n, start + timedelta(milliseconds=n)), "customer_id": "cust-edges"}
        for n in range(300)
    ]
    for entry in entries:
        await timeline.add(entry)
    newest = entries[-1]
    expected = [str(e["_id"]) for e in reversed(entries[:-1])]
    for hint in (1, 2, 4, 50):
        cursor = encode_cursor(
            (newest["occurred_at"], 0, str(newest["_id"])),  # type: ignore[arg-type]
            window_ms=hint,
        )
        page = await timeline_page(
            timeline, tenant_id="acme", limit=200, cursor=cursor, customer_id="cust-edges"
        )
        assert [item.id for item in page.items] == expected[:200]


async def test_message_search_reads_windows_newest_first_within_its_budget(
    mongo_settings: MongoSettings, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_mongo_client(mongo_settings, app_name="case-search-test")
    db = client[f"casesearch{unique}"]
    try:
        await ensure_indexes(db, INDEXES, RETIRED_INDEXES)
        timeline, repo = TimelineRepository(db), SearchRepository(db)
        now = datetime.now(UTC)
        texts = {
            "n1": ("注文番号 4711 の配送", now - timedelta(days=400)),
            "n2": ("注文番号 4711 の返金", now - timedelta(minutes=5)),
            "n3": ("注文番号 9999 の件", now - timedelta(days=3)),
        }
        for entry_id, (text, at) in texts.items():
            await timeline.add(
                {**_entry(0, at), "_id": entry_id, "tenant_id": "s", **searchable([text])}
            )
        text, grams = query_grams("番号 4711")
        hits, complete = await repo.search("messages", "s", text=text, grams=grams, limit=10)
        assert ([h["_id"] for h in hits], complete) == (["n2", "n1"], True)
        assert rarest_looking(grams) in {"47", "71", "11"}  # the number, not the kanji

        # Past its budget a search answers with what it found, marked incomplete.
        monkeypatch.setattr("case_service.adapters.search.SCAN_BUDGET", 1)
        text, grams = query_grams("注文番号 の配送")
        hits, complete = await repo.search("messages", "s", text=text, grams=grams, limit=10)
        assert (hits, complete) == ([], False)
    finally:
        await client.drop_database(db.name)
        await client.close()


async def test_an_index_a_release_retired_is_dropped_on_the_next_start(
    mongo_settings: MongoSettings, unique: str
) -> None:
    client = make_mongo_client(mongo_settings, app_name="case-index-test")
    db = client[f"caseindexes{unique}"]
    try:
        await db["timeline"].create_index([("tenant_id", 1), ("grams", 1)], name="search")
        await ensure_indexes(db, INDEXES, RETIRED_INDEXES)
        await ensure_indexes(db, INDEXES, RETIRED_INDEXES)  # a second start: nothing to do
        names = {index["name"] async for index in await db["timeline"].list_indexes()}
        assert "search" not in names
        assert "search_by_time" in names
    finally:
        await client.drop_database(db.name)
        await client.close()
